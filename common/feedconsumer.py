"""Following another component's change feed into a projection in one's own schema.

A consumer polls ``GET /v1/changes`` of the source, applies each page in one transaction
together with the new cursor (so a page is applied exactly once in effect, whatever crashes
in between), and keeps going: at once while pages come full, every ``idle_poll`` seconds
once caught up, with an exponential backoff (capped, jittered) while the source or the
database fails. Handlers must be idempotent by entity version (ADR 0002): a page may be
re-read after a crash between the source's answer and our commit.

Where it runs (docs/adr/0020): inside the consuming app's lifespan, on a connection of its
own that holds a session-level advisory lock, so that of several processes of one app
exactly one consumes and another takes over when its connection dies.

The cursor row (``FeedCursorMixin``) says how far the projection is: any process of the app
can report the lag from it (``/readyz`` detail, ``/metrics`` through ``export_status``),
not just the one consuming.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from common.changefeed import ChangeEvent, ChangePage, application_name
from common.health import ReadinessCheck
from common.logging import get_logger
from common.metrics import Metrics, ScrapeHook
from common.service_client import service_client
from common.settings import plain_database_url

log = get_logger(__name__)

# A handler applies the events of its topic inside the page's transaction; the client
# reaches the source for what events only announce (a new snapshot).
Handler = Callable[[asyncpg.Connection, httpx.AsyncClient, Sequence[ChangeEvent]], Awaitable[None]]
StartHook = Callable[[asyncpg.Connection, httpx.AsyncClient], Awaitable[None]]


class FeedCursorMixin:
    """How far a projection has read a source's feed: a row per source."""

    __tablename__ = "feed_cursor"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(64))
    events_applied: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_event_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when the source recorded the last event applied"
    )
    caught_up_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        comment="the last poll that found nothing more: the projection holds the feed as of then",
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class FeedUnavailable(Exception):
    """The source answered something other than a feed page (5xx, 4xx, not JSON)."""


@dataclass
class Backoff:
    """1 s, 2 s, 4 s … up to ``cap``, each with ±25 % jitter so that restarted consumers
    do not all knock at once."""

    first: float = 1.0
    cap: float = 60.0
    failures: int = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return delay * random.uniform(0.75, 1.25)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class ConsumerState:
    """What this process's consumer is doing, for logs and ``/readyz``."""

    role: str = "starting"  # starting | consuming | standby | failing
    last_error: str | None = None
    failures: int = 0


_UPSERT_CURSOR = """
INSERT INTO {table} AS c (source, cursor, events_applied, last_event_at, caught_up_at,
                          updated_at)
VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, now())
ON CONFLICT (source) DO UPDATE
SET cursor = EXCLUDED.cursor,
    events_applied = c.events_applied + EXCLUDED.events_applied,
    last_event_at = coalesce(EXCLUDED.last_event_at, c.last_event_at),
    caught_up_at = CASE WHEN $5 THEN now() ELSE c.caught_up_at END,
    updated_at = now()
"""


# What an outage of the source or of the database looks like.
_EXPECTED = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    httpx.HTTPError,
    FeedUnavailable,
    ValidationError,
)


def table_name(model: type[Any]) -> str:
    table = model.__table__
    return f'"{table.schema}"."{table.name}"'


@dataclass(frozen=True)
class StepResult:
    applied: int
    full: bool  # a full page: more may be waiting, read on at once
    wrote: bool  # the cursor row was written (events applied, or caught_up_at refreshed)


@dataclass
class FeedConsumer:
    """Follows ``{base_url}/v1/changes`` of ``source`` into ``cursor_model``'s table and the
    handlers' projections.

    ``handlers`` map the topics followed to what applies them; ``on_start`` runs each time
    this process becomes the consumer (e.g. load a snapshot into an empty projection).
    """

    component: str
    source: str
    base_url: str
    database_url: str
    internal_secret: str
    cursor_model: type[FeedCursorMixin]
    handlers: Mapping[str, Handler]
    on_start: StartHook | None = None
    page_size: int = 500
    idle_poll: float = 2.0
    standby_poll: float = 5.0
    # While nothing happens, ``caught_up_at`` is refreshed this often (the lag's resolution).
    heartbeat: float = 10.0
    first_backoff: float = 1.0
    max_backoff: float = 60.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    state: ConsumerState = field(default_factory=ConsumerState)

    @property
    def lock_key(self) -> str:
        return f"feed:{self.component}:{self.source}"

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        """Pooled, with explicit timeouts, and a fresh internal token on every request."""
        return service_client(
            self.base_url,
            component=self.component,
            secret=self.internal_secret,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            transport=transport,
        )

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            plain_database_url(self.database_url),
            timeout=self.connect_timeout,
            server_settings={"application_name": application_name(self.component, "feed")},
        )

    async def run(self) -> None:
        """Consume until cancelled; every failure is logged and retried after a backoff."""
        backoff = Backoff(first=self.first_backoff, cap=self.max_backoff)
        async with self.client() as client:
            while True:
                try:
                    await self._serve(client, backoff)
                except asyncio.CancelledError:
                    raise
                except _EXPECTED as e:
                    await self._failed(backoff, e)
                except Exception as e:
                    # A bug in a handler: never let it end the task silently; the page is
                    # retried (nothing of it was committed) after the backoff.
                    log.error("feed consumer error", source=self.source, exc_info=e)
                    await self._failed(backoff, e)

    async def _failed(self, backoff: Backoff, error: BaseException) -> None:
        delay = backoff.next()
        self.state.role = "failing"
        self.state.failures += 1
        self.state.last_error = type(error).__name__
        log.warning(
            "feed consumer failed; retrying",
            source=self.source,
            error=type(error).__name__,
            retry_in_s=round(delay, 1),
        )
        await asyncio.sleep(delay)

    async def _serve(self, client: httpx.AsyncClient, backoff: Backoff) -> None:
        """On one connection: take the lock (or stand by), then consume until a failure."""
        conn = await self.connect()
        try:
            locked = await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", self.lock_key
            )
            if not locked:
                self.state.role = "standby"
                await asyncio.sleep(self.standby_poll)
                return
            if self.on_start is not None:
                await self.on_start(conn, client)
            loop = asyncio.get_running_loop()
            last_write = float("-inf")
            while True:
                result = await self.step(
                    conn, client, refresh=loop.time() - last_write >= self.heartbeat
                )
                backoff.reset()
                self.state.role, self.state.last_error = "consuming", None
                if result.wrote:
                    last_write = loop.time()
                if not result.full:
                    await asyncio.sleep(self.idle_poll)
        finally:
            with suppress(Exception):
                await conn.close(timeout=2)

    async def step(
        self, conn: asyncpg.Connection, client: httpx.AsyncClient, *, refresh: bool = True
    ) -> StepResult:
        """Read one page and apply it with the new cursor in one transaction. With nothing
        to apply, the row is written only when ``refresh`` (to date ``caught_up_at``)."""
        table = table_name(self.cursor_model)
        row = await conn.fetchrow(f"SELECT cursor FROM {table} WHERE source = $1", self.source)
        cursor = row["cursor"] if row is not None else None
        page = await self.fetch(client, cursor)
        full = len(page.items) >= self.page_size
        if not page.items and not refresh and row is not None:
            return StepResult(0, False, False)
        async with conn.transaction():
            by_topic: dict[str, list[ChangeEvent]] = {}
            for event in page.items:
                by_topic.setdefault(event.topic, []).append(event)
            for topic, events in by_topic.items():
                await self.handlers[topic](conn, client, events)
            await conn.execute(
                _UPSERT_CURSOR.format(table=table),
                self.source,
                page.cursor,
                len(page.items),
                page.items[-1].occurred_at if page.items else None,
                not full,
            )
        return StepResult(len(page.items), full, True)

    async def fetch(self, client: httpx.AsyncClient, cursor: str | None) -> ChangePage:
        params: list[tuple[str, str | int]] = [("limit", self.page_size)]
        if cursor is not None:
            params.append(("after", cursor))
        params += [("topic", topic) for topic in self.handlers]
        response = await client.get("/v1/changes", params=params)
        if response.status_code != 200:
            raise FeedUnavailable(f"{self.source} feed answered {response.status_code}")
        return ChangePage.model_validate_json(response.content)


@dataclass(frozen=True)
class FeedStatus:
    """A projection's position, as any process of the app reads it from the cursor row."""

    source: str
    cursor: str | None = None
    events_applied: int = 0
    last_event_at: datetime | None = None
    caught_up_at: datetime | None = None

    def lag_seconds(self, now: datetime | None = None) -> float | None:
        """How stale the projection may be: the time since a poll last found the feed
        exhausted (None: not caught up once yet)."""
        if self.caught_up_at is None:
            return None
        return max(0.0, ((now or datetime.now(UTC)) - self.caught_up_at).total_seconds())

    def as_detail(self, now: datetime | None = None) -> dict[str, Any]:
        lag = self.lag_seconds(now)
        return {
            "cursor": self.cursor,
            "events_applied": self.events_applied,
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
            "caught_up_at": self.caught_up_at.isoformat() if self.caught_up_at else None,
            "lag_seconds": round(lag, 1) if lag is not None else None,
        }


def export_status(metrics: Metrics, status: FeedStatus, now: datetime | None = None) -> None:
    """A projection's position as gauges, labelled by feed: its lag in seconds (``+Inf``
    until it has caught up once: alert on it like any lag) and the events applied."""
    lag = status.lag_seconds(now)
    metrics.gauge(
        "changefeed_consumer_lag_seconds",
        "Seconds since the consumer last found the feed exhausted (+Inf: not caught up yet)",
        ["feed"],
        multiprocess_mode="livemostrecent",
    ).labels(status.source).set(math.inf if lag is None else lag)
    metrics.gauge(
        "changefeed_consumer_events_applied",
        "Events of the feed applied to the projection",
        ["feed"],
        multiprocess_mode="livemostrecent",
    ).labels(status.source).set(status.events_applied)


async def _status_of(
    request: Request, model: type[FeedCursorMixin], source: str
) -> FeedStatus | None:
    """``source``'s position from the cursor row (whichever process consumes); None when the
    database does not answer (its own readiness check says why)."""
    try:
        async with request.app.state.read_sessionmaker() as session:
            return await read_status(session, model, source)
    except (SQLAlchemyError, OSError):
        return None


def status_on_scrape(model: type[FeedCursorMixin], source: str) -> ScrapeHook:
    """A ``/metrics`` hook (``app.state.metrics.on_scrape``) setting ``source``'s lag and
    events applied from the cursor row; a database that does not answer leaves them as they
    were."""

    async def hook(request: Request) -> None:
        status = await _status_of(request, model, source)
        if status is not None:
            export_status(request.app.state.metrics, status)

    return hook


def status_on_ready(model: type[FeedCursorMixin], source: str) -> ReadinessCheck:
    """A readiness check (``create_app(readiness_checks=…)``) reporting ``source``'s position
    and lag under ``feeds``, and the role of this process's consumer if it runs one. Lag never
    makes the app unready: it serves what it has while the source is away."""

    async def check(request: Request) -> tuple[bool, Any]:
        status = await _status_of(request, model, source)
        if status is None:
            return True, {}
        detail = status.as_detail()
        consumer = getattr(request.app.state, f"{source}_consumer", None)
        if consumer is not None:
            detail["consumer"] = consumer.state.role
        return True, {"feeds": {source: detail}}

    return check


async def read_status(
    session: AsyncSession, model: type[FeedCursorMixin], source: str
) -> FeedStatus:
    row = await session.get(model, source)
    if row is None:
        return FeedStatus(source)
    return FeedStatus(source, row.cursor, row.events_applied, row.last_event_at, row.caught_up_at)


@asynccontextmanager
async def running(consumer: FeedConsumer) -> AsyncIterator[FeedConsumer]:
    """The consumer as a background task for the length of the block (an app's lifespan)."""
    task = asyncio.create_task(consumer.run(), name=f"feed-{consumer.source}")
    try:
        yield consumer
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
