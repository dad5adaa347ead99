"""The queue itself: pgqueuer's tables in the gateway schema (ADR 0080) and enqueueing a job in
the transaction of the write that asks for it."""

import json
from datetime import timedelta
from typing import Any

import asyncpg
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence import qb
from pgqueuer.domain.settings import DBSettings
from pgqueuer.ports.driver import Driver
from pgqueuer.queries import Queries
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.base import SCHEMA

# Every pgqueuer object lives in the gateway's own schema (migrations/gateway 0003), never in
# public: the gateway's database role touches nothing else.
QUEUE = DBSettings(db_schema=SCHEMA)

Payload = dict[str, Any]


def queries(driver: Driver) -> Queries:
    return Queries(
        driver,
        qbe=qb.QueryBuilderEnvironment(settings=QUEUE),
        qbq=qb.QueryQueueBuilder(settings=QUEUE),
        qbs=qb.QuerySchedulerBuilder(settings=QUEUE),
    )


def encode(payload: Payload) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def decode(payload: bytes | None) -> Payload:
    return json.loads(payload) if payload else {}


async def enqueue_on(
    connection: asyncpg.Connection,
    entrypoint: str,
    payload: Payload,
    *,
    delay: timedelta | None = None,
    dedupe_key: str | None = None,
    priority: int = 0,
) -> int | None:
    """Queue a job on this asyncpg connection (in its open transaction, if any).

    With ``dedupe_key``, a job with the same key still waiting or running makes this a no-op
    (``None``): at most one of them is in the queue at a time.
    """
    ids = await queries(AsyncpgDriver(connection)).enqueue(
        entrypoint,
        encode(payload),
        priority=priority,
        execute_after=delay,
        dedupe_key=dedupe_key,
        on_conflict="skip",
    )
    return int(ids[0]) if ids[0] is not None else None


async def enqueue(
    session: AsyncSession,
    entrypoint: str,
    payload: Payload,
    *,
    delay: timedelta | None = None,
    dedupe_key: str | None = None,
    priority: int = 0,
) -> int | None:
    """Queue a job in the session's transaction: it exists if and only if the write that asked
    for it commits (no job for a rolled-back revision, no revision without its job)."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert isinstance(raw, asyncpg.Connection)
    if not raw.is_in_transaction():
        # SQLAlchemy opens the database transaction at its first statement: until then a raw
        # insert would commit on its own (usually the write that asks for the job came first).
        await connection.exec_driver_sql("SELECT 1")
    return await enqueue_on(
        raw,
        entrypoint,
        payload,
        delay=delay,
        dedupe_key=dedupe_key,
        priority=priority,
    )
