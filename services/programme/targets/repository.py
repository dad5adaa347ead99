"""Queries of target sets and adoptions. Only flushes; the request scope commits."""

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulkwrite import Database, connection_of
from common.db import RawStatement
from common.pagination import PageParams, keyset
from services.programme.targets.models import PolicyTarget, TargetAdoption, TargetSet


async def set_by_code(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> TargetSet | None:
    stmt = select(TargetSet).where(TargetSet.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def targets_of(
    session: AsyncSession, set_ids: Sequence[int]
) -> dict[int, list[PolicyTarget]]:
    by_set: dict[int, list[PolicyTarget]] = {i: [] for i in set_ids}
    if set_ids:
        rows = await session.scalars(
            select(PolicyTarget)
            .where(PolicyTarget.target_set_id.in_(set_ids))
            .order_by(PolicyTarget.target_set_id, PolicyTarget.position)
        )
        for row in rows:
            by_set[row.target_set_id].append(row)
    return by_set


async def list_sets(
    session: AsyncSession,
    params: PageParams,
    *,
    applies_to: str | None,
    under: str | None,
    preset: bool | None,
) -> Sequence[TargetSet]:
    stmt = select(TargetSet)
    if applies_to is not None:
        # The region's significant digits are a prefix of the county's code.
        stmt = stmt.where(literal(applies_to).startswith(TargetSet.region_prefix))
    if under is not None:
        stmt = stmt.where(TargetSet.region_code.startswith(under))
    if preset is not None:
        stmt = stmt.where(TargetSet.preset.is_(preset))
    return (await session.scalars(keyset(stmt, [TargetSet.code], params))).all()


async def replace_targets(
    session: AsyncSession, target_set: TargetSet, targets: Sequence[PolicyTarget]
) -> None:
    await session.execute(delete(PolicyTarget).where(PolicyTarget.target_set_id == target_set.id))
    for position, target in enumerate(targets, start=1):
        target.target_set_id = target_set.id
        target.position = position
        session.add(target)
    await session.flush()


_SET_COLUMNS = tuple(TargetSet.__table__.c)
_TARGET_COLUMNS = tuple(
    c for c in PolicyTarget.__table__.c if c.name not in ("id", "target_set_id", "position")
)
# A county's active adoptions, each with its set and the set's targets in order: one row a
# target (a set without targets: one row, its target columns NULL).
_ADOPTED = RawStatement(
    select(
        TargetAdoption.changed_by.label("adopted_by"),
        TargetAdoption.changed_at.label("adopted_at"),
        *_SET_COLUMNS,
        *(c.label(f"target_{c.name}") for c in _TARGET_COLUMNS),
    )
    .join_from(TargetAdoption, TargetSet, TargetSet.id == TargetAdoption.target_set_id)
    .outerjoin(PolicyTarget, PolicyTarget.target_set_id == TargetSet.id)
    .where(TargetAdoption.county_code == bindparam("county_code"), TargetAdoption.active)
    .order_by(TargetSet.code, PolicyTarget.position)
)


async def adoptions_of(
    db: Database, county_code: str
) -> list[tuple[TargetAdoption, TargetSet, list[PolicyTarget]]]:
    """A county's active adoptions with their sets and targets, in one statement on the
    asyncpg connection (the report documents read it for every county). The rows come back
    as unattached instances of the models, what the services' views take."""
    rows = await _ADOPTED.fetch(await connection_of(db), county_code=county_code)
    adopted: dict[int, tuple[TargetAdoption, TargetSet, list[PolicyTarget]]] = {}
    for row in rows:
        if row["id"] not in adopted:
            target_set = TargetSet(**{c.name: row[c.name] for c in _SET_COLUMNS})
            adoption = TargetAdoption(
                county_code=county_code, changed_by=row["adopted_by"], changed_at=row["adopted_at"]
            )
            adopted[row["id"]] = (adoption, target_set, [])
        if row["target_indicator"] is not None:
            target = PolicyTarget(**{c.name: row[f"target_{c.name}"] for c in _TARGET_COLUMNS})
            adopted[row["id"]][2].append(target)
    return list(adopted.values())


async def adoption(
    session: AsyncSession, county_code: str, target_set_id: int
) -> TargetAdoption | None:
    return await session.scalar(
        select(TargetAdoption)
        .where(
            TargetAdoption.county_code == county_code,
            TargetAdoption.target_set_id == target_set_id,
        )
        .with_for_update()
    )
