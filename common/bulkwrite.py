"""Set-based writes for bulk uploads, inside the request's own transaction.

An upload of 100,000 rows must not cost a round trip per row: new rows go in with binary
COPY (ids taken from the table's sequence up front, so events and answers can name them),
and changes to existing rows with one ``UPDATE … FROM unnest(…)`` per kind of change.
These helpers reach the asyncpg connection under the request's SQLAlchemy session, so the
COPY commits (or rolls back) with everything else the request did.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

# What a read written for asyncpg runs on: a request's session (its asyncpg connection, in its
# transaction), or a connection of the pool's straight away (a hot read, ``read_connection``).
Database = AsyncSession | asyncpg.Connection


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of the session's transaction, with that transaction begun:
    SQLAlchemy's asyncpg adapter sends BEGIN only with its first statement, and a COPY sent
    before it would commit on its own."""
    connection = await session.connection()
    transaction = session.get_transaction()
    if session.info.get("driver_transaction") is not transaction:
        await connection.exec_driver_sql("SELECT 1")
        session.info["driver_transaction"] = transaction
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


async def connection_of(db: Database) -> asyncpg.Connection:
    """The asyncpg connection to run a statement on: ``db`` itself, or the session's."""
    if isinstance(db, AsyncSession):
        return await driver_connection(db)
    return db


async def next_ids(session: AsyncSession, sequence: str, count: int) -> list[int]:
    """``count`` values of ``sequence`` (schema-qualified) in one query."""
    if count == 0:
        return []
    conn = await driver_connection(session)
    # One array, not a row per value: 100,000 records cost ~10× the decoding of one array.
    ids: list[int] = await conn.fetchval(
        "SELECT array_agg(nextval($1::regclass)) FROM generate_series(1, $2)", sequence, count
    )
    return ids


async def copy_rows(
    session: AsyncSession,
    table: str,
    schema: str,
    columns: Sequence[str],
    records: Iterable[Sequence[Any]],
) -> int:
    """Binary COPY of ``records`` (tuples in ``columns`` order) into ``schema.table``."""
    conn = await driver_connection(session)
    status = await conn.copy_records_to_table(
        table, schema_name=schema, columns=list(columns), records=records
    )
    return int(status.split()[-1])


async def execute(session: AsyncSession, sql: str, *args: Any) -> int:
    """One statement with array parameters (``unnest($1::bigint[], …)``); rows affected."""
    conn = await driver_connection(session)
    status = await conn.execute(sql, *args)
    return int(status.split()[-1]) if status.split()[-1].isdigit() else 0


async def fetch(session: AsyncSession, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await driver_connection(session)
    return await conn.fetch(sql, *args)
