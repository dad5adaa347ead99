"""Queries of target sets and adoptions. Only flushes; the request scope commits."""

from collections.abc import Sequence

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def adoptions_of(
    session: AsyncSession, county_code: str
) -> Sequence[tuple[TargetAdoption, TargetSet]]:
    rows = await session.execute(
        select(TargetAdoption, TargetSet)
        .join(TargetSet, TargetSet.id == TargetAdoption.target_set_id)
        .where(TargetAdoption.county_code == county_code, TargetAdoption.active)
        .order_by(TargetSet.code)
    )
    return [(adoption, target_set) for adoption, target_set in rows]


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
