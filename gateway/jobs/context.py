"""What a job handler is given: the gateway's settings, database sessions, an HTTP client and
the clock (injected, so tests move time instead of waiting for it)."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from gateway.settings import GatewaySettings

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobContext:
    settings: "GatewaySettings"
    sessionmaker: async_sessionmaker[AsyncSession]
    # For calls to the outside (delivery targets, subscribers): no base URL, no identity.
    http: httpx.AsyncClient
    clock: Clock
    job_id: int = 0
    # Runs of this job so far, this one included.
    attempt: int = 1

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session committed when the block ends without an exception, as a request's is."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()
