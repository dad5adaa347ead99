from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import any_, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from gateway.feeds.subscriptions.models import WebhookEvent, WebhookSubscription
from gateway.reports.deliveries.models import Attempt, Delivery
from gateway.reports.deliveries.secrets import Owner
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


async def event(session: AsyncSession, event_id: int) -> WebhookEvent | None:
    return await session.get(WebhookEvent, event_id)


async def insert_event_deliveries(
    session: AsyncSession, subscription_ids: Sequence[int], event: WebhookEvent, now: datetime
) -> list[int]:
    """One pending delivery of ``event`` per subscription that has none yet; their ids."""
    if not subscription_ids:
        return []
    stmt = (
        insert(Delivery)
        .values(
            [
                {
                    "subscription_id": subscription_id,
                    "event_id": event.id,
                    "webhook_id": event.webhook_id,
                    "event_type": event.event_type,
                    "division": event.division,
                    "status": "pending",
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for subscription_id in subscription_ids
            ]
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
        .returning(Delivery.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def destination(
    session: AsyncSession, delivery: Delivery, *, lock: bool = False
) -> DeliveryTarget | WebhookSubscription | None:
    """Where the delivery goes: its report target or its webhook subscription."""
    model: type[DeliveryTarget] | type[WebhookSubscription] = DeliveryTarget
    owner_id = delivery.target_id
    if delivery.subscription_id is not None:
        model, owner_id = WebhookSubscription, delivery.subscription_id
    stmt = select(model).where(model.id == owner_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def resume_paused(
    session: AsyncSession, owner: Owner, owner_id: int, now: datetime
) -> list[int]:
    """Deliveries paused while their destination was disabled are due again now."""
    result = await session.execute(
        update(Delivery)
        .where(
            getattr(Delivery, owner.value) == owner_id,
            Delivery.status == "pending",
            Delivery.next_attempt_at.is_(None),
        )
        .values(next_attempt_at=now)
        .returning(Delivery.id)
    )
    return list(result.scalars().all())


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
    owner: Owner,
    owner_id: int,
    params: PageParams,
    status: str | None,
    *,
    period: str | None = None,
    event_type: str | None = None,
) -> Sequence[Delivery]:
    stmt = select(Delivery).where(getattr(Delivery, owner.value) == owner_id)
    if period is not None:
        stmt = stmt.where(Delivery.period == period)
    if event_type is not None:
        stmt = stmt.where(Delivery.event_type == event_type)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    stmt = keyset(stmt, [Delivery.id], params)
    return (await session.execute(stmt)).scalars().all()
