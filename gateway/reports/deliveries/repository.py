from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import any_, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from gateway.reports.deliveries.models import Attempt, Delivery
from gateway.reports.targets.models import DeliveryTarget


@dataclass(frozen=True)
class Revision:
    """What a delivery needs of a document revision (reporting-contract.md: the documents'
    own table, read here and never written)."""

    id: int
    document_type: str
    document_version: str
    division: str
    period: str
    content_hash: str
    body: bytes


_REVISION = text(
    """SELECT id, document_type, document_version, division, period, content_hash, body
       FROM gateway.report_revision WHERE id = :id"""
)


async def revision(session: AsyncSession, revision_id: int) -> Revision | None:
    row = (await session.execute(_REVISION, {"id": revision_id})).mappings().one_or_none()
    return None if row is None else Revision(**row)


async def matching_targets(
    session: AsyncSession, document_type: str, division: str, period_kind: str
) -> Sequence[DeliveryTarget]:
    """Active targets taking this document: its type, its kind of period, a division in
    their subtree (``nation``: all)."""
    stmt = select(DeliveryTarget).where(
        DeliveryTarget.status == "active",
        literal(document_type) == any_(DeliveryTarget.document_types),
        literal(period_kind) == any_(DeliveryTarget.periods),
        (DeliveryTarget.division == "nation")
        | text(":division LIKE gateway.delivery_target.division || '%'").bindparams(
            division=division
        ),
    )
    return (await session.execute(stmt)).scalars().all()


async def insert_deliveries(
    session: AsyncSession, targets: Sequence[DeliveryTarget], revision: Revision, now: datetime
) -> list[int]:
    """One pending delivery per target that has none of this revision yet; their ids."""
    if not targets:
        return []
    stmt = (
        insert(Delivery)
        .values(
            [
                {
                    "target_id": t.id,
                    "revision_id": revision.id,
                    "webhook_id": f"rev_{revision.id}",
                    "document_type": revision.document_type,
                    "division": revision.division,
                    "period": revision.period,
                    "status": "pending",
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for t in targets
            ]
        )
        .on_conflict_do_nothing(index_elements=["target_id", "revision_id"])
        .returning(Delivery.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def lock(session: AsyncSession, delivery_id: int) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def interrupt_in_flight(session: AsyncSession, delivery_id: int) -> None:
    """Attempts left in flight by a worker that died: they will never be answered."""
    await session.execute(
        update(Attempt)
        .where(Attempt.delivery_id == delivery_id, Attempt.outcome == "in_flight")
        .values(outcome="interrupted", response_excerpt="the worker stopped before an answer")
    )


async def attempt(session: AsyncSession, delivery_id: int, number: int) -> Attempt | None:
    stmt = select(Attempt).where(Attempt.delivery_id == delivery_id, Attempt.number == number)
    return (await session.execute(stmt)).scalar_one_or_none()


async def attempts_of(session: AsyncSession, delivery_id: int) -> Sequence[Attempt]:
    stmt = select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.number)
    return (await session.execute(stmt)).scalars().all()


async def page(
    session: AsyncSession,
    target_id: int,
    params: PageParams,
    period: str | None,
    status: str | None,
) -> Sequence[Delivery]:
    stmt = select(Delivery).where(Delivery.target_id == target_id)
    if period is not None:
        stmt = stmt.where(Delivery.period == period)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    stmt = keyset(stmt, [Delivery.id], params)
    return (await session.execute(stmt)).scalars().all()
