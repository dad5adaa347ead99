from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from gateway.reports.targets.models import DeliveryTarget, TargetSecret


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


async def secrets_of(
    session: AsyncSession, target_ids: Sequence[int], now: datetime
) -> list[TargetSecret]:
    """The secrets still signing at ``now``, newest first."""
    stmt = (
        select(TargetSecret)
        .where(
            TargetSecret.target_id.in_(target_ids),
            or_(TargetSecret.expires_at.is_(None), TargetSecret.expires_at > now),
        )
        .order_by(TargetSecret.target_id, TargetSecret.id.desc())
    )
    return list((await session.execute(stmt)).scalars().all())


async def due(session: AsyncSession, now: datetime) -> Sequence[DeliveryTarget]:
    """Active targets whose run is due, locked so that one worker runs each."""
    stmt = (
        select(DeliveryTarget)
        .where(DeliveryTarget.status == "active", DeliveryTarget.next_run_at <= now)
        .order_by(DeliveryTarget.id)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()
