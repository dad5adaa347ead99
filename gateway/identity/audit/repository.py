from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.audit.models import AuditEvent


def add(session: AsyncSession, **fields: Any) -> None:
    session.add(AuditEvent(**fields))


async def list_events(
    session: AsyncSession,
    *,
    within: str | None,
    event: str | None,
    target: str | None,
    actor: str | None,
    before_id: int | None,
    limit: int,
) -> Sequence[AuditEvent]:
    """Newest first; ``within``: only events whose division lies in that subtree (None:
    every event)."""
    stmt: Select[tuple[AuditEvent]] = select(AuditEvent)
    if within is not None:
        # Division codes are digits only, so the prefix needs no LIKE escaping.
        stmt = stmt.where(AuditEvent.division.startswith(within, autoescape=True))
    if event is not None:
        stmt = stmt.where(AuditEvent.event == event)
    if target is not None:
        stmt = stmt.where(AuditEvent.target == target)
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    rows = await session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1))
    return rows.all()
