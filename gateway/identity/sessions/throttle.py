"""Failed sign-ins counted per phone and per client address, in PostgreSQL (ADR 0060).

The phone is counted whether or not it has an account (by its keyed index), so a lockout
says nothing about who has one. An address gets a much higher limit than a phone: rural
mobile networks put a whole county behind a few carrier-grade NAT addresses, and one
guesser there must not lock every village operator out.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.sessions.models import LoginThrottle


@dataclass(frozen=True)
class Limit:
    failures: int  # within ``window`` …
    window: timedelta
    lock: timedelta  # … lock for this long, doubled with every lockout in a row
    max_lock: timedelta


PHONE = Limit(5, timedelta(minutes=15), timedelta(minutes=15), timedelta(hours=24))
ADDRESS = Limit(50, timedelta(minutes=15), timedelta(minutes=15), timedelta(hours=1))


def phone_key(phone_index: str) -> str:
    return f"phone:{phone_index}"


def address_key(address: str | None) -> str | None:
    return None if not address else f"address:{address}"


async def locked_until(session: AsyncSession, keys: list[str], now: datetime) -> datetime | None:
    """The latest lock still running on any of ``keys``."""
    until: datetime | None = await session.scalar(
        select(func.max(LoginThrottle.locked_until)).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    )
    return until


async def count_failure(
    session: AsyncSession, key: str, limit: Limit, now: datetime
) -> datetime | None:
    """One more failure on ``key``; the end of the lock when this one reached the limit."""
    fresh = insert(LoginThrottle).values(
        key=key, failures=1, window_started_at=now, locked_until=None, lockouts=0
    )
    t = LoginThrottle.__table__.c
    # A window that is over, or a lock that has run out, starts counting again from one.
    expired = (t.window_started_at <= now - limit.window) | (t.locked_until <= now)
    row = (
        await session.execute(
            fresh.on_conflict_do_update(
                index_elements=[t.key],
                set_={
                    "failures": case((expired, 1), else_=t.failures + 1),
                    "window_started_at": case((expired, now), else_=t.window_started_at),
                    "locked_until": case((expired, None), else_=t.locked_until),
                },
            ).returning(t.failures, t.lockouts)
        )
    ).one()
    if row.failures < limit.failures:
        return None
    lock = min(limit.lock * (2**row.lockouts), limit.max_lock)
    until = now + lock
    await session.execute(
        LoginThrottle.__table__.update()
        .where(t.key == key)
        .values(locked_until=until, lockouts=t.lockouts + 1, failures=0, window_started_at=now)
    )
    return until


async def forget(session: AsyncSession, key: str) -> None:
    """A successful sign-in clears the phone's count (never the address's)."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
