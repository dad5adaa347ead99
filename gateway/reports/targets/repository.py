from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from gateway.reports.targets.models import DeliveryTarget


async def get(
    session: AsyncSession, target_id: int, *, lock: bool = False
) -> DeliveryTarget | None:
    stmt = select(DeliveryTarget).where(DeliveryTarget.id == target_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(session: AsyncSession, params: PageParams) -> Sequence[DeliveryTarget]:
    stmt = keyset(select(DeliveryTarget), [DeliveryTarget.id], params)
    return (await session.execute(stmt)).scalars().all()


async def due(session: AsyncSession, now: datetime) -> Sequence[DeliveryTarget]:
    """Active targets whose run is due, locked so that one worker runs each."""
    stmt = (
        select(DeliveryTarget)
        .where(DeliveryTarget.status == "active", DeliveryTarget.next_run_at <= now)
        .order_by(DeliveryTarget.id)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()
