"""Database engine and the per-request session.

The engine and session factory are made in the app's lifespan. A route gets one session
(``SessionDep``) which the request scope commits once, after the route returns and *before*
the response is sent (``Depends(scope="function")``): a client never sees a success whose
commit failed. Services and repositories only ``flush``.

GET and HEAD requests read in autocommit mode: no BEGIN and COMMIT round trips around a
read. They must not write (nothing would roll it back); each statement sees its own
snapshot, so a read that needs several consistent statements makes them one query.

The few hottest reads (a station by code, a county's indicators and gap list) skip the
session altogether: ``read_connection`` lends them a pooled connection's asyncpg connection
and ``RawStatement`` runs a Core statement compiled once on it (ADR 0051).
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn

# Readable constraint names in migration diffs and error messages.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def make_engine(database_url: str, *, application_name: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        # No overflow: SQLAlchemy closes an overflow connection as soon as it is returned, so
        # a burst above the pool opened a connection per request (40 % of GET throughput in
        # bench/benchmarks/station_get.py); requests beyond the pool wait for one instead.
        max_overflow=0,
        pool_timeout=10,
        # A statement's parameters are names and phones: never in an error's text (ADR 0010).
        hide_parameters=True,
        # No ping before each checkout (a round trip per request): a connection that died
        # with a database restart fails once, is discarded with its pool, and that request
        # answers 503 with Retry-After.
        connect_args={
            "timeout": 5,
            "command_timeout": 60,
            "server_settings": {"application_name": application_name},
        },
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


_READS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    state = request.app.state
    maker = state.read_sessionmaker if request.method in _READS else state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def compile_for_asyncpg(
    statement: ClauseElement, params: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    """The statement as asyncpg runs it (``$1``, ``$2`` …) with its arguments in order: what
    a benchmark's raw-asyncpg limit runs, so it is the API's own SQL."""
    bound = statement.params(**params)
    # Parameters marked ``literal_execute`` are written into the SQL, as at execution.
    compiled = bound.compile(dialect=asyncpg_dialect(), compile_kwargs={"render_postcompile": True})
    return compiled.string, [params[name] for name in compiled.positiontup or ()]


class RawStatement:
    """A Core statement compiled once for asyncpg (``$1``, ``$2`` …), run on an asyncpg
    connection with its parameters by name. What a hot read saves: SQLAlchemy's session,
    connection, execution context, result and row objects — 0.35 ms of the 0.5 ms of CPU a
    one-row read took through the session on the benchmark VM.

    Rows come back as asyncpg decodes them; no SQLAlchemy result processor runs (a geometry
    column that geoalchemy2 compiles as ``ST_AsEWKB`` is ``bytes``: ``common.geometry``).
    Statements whose SQL depends on the values (expanding ``IN``, ``literal_execute``) are
    refused here: compile them per call (``compile_for_asyncpg``).
    """

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect())
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a statement with post-compile parameters is compiled per call")
        self.sql = compiled.string
        self._names = tuple(compiled.positiontup or ())
        # Values written into the statement (``coalesce(…, 0)``, ``.limit(500)``) are bound
        # parameters too; they keep their value unless given. A ``bindparam`` without one
        # must be given.
        self._fixed = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [
            params[name] if name in params or name not in self._fixed else self._fixed[name]
            for name in self._names
        ]

    async def fetch(self, conn: asyncpg.Connection, **params: Any) -> list[asyncpg.Record]:
        return await conn.fetch(self.sql, *self.args(params))

    async def fetchrow(self, conn: asyncpg.Connection, **params: Any) -> asyncpg.Record | None:
        return await conn.fetchrow(self.sql, *self.args(params))


# The connection may be gone, or in a state no one should inherit: not back to the pool.
_BROKEN = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
)
_SHUTTING_DOWN = "57P"  # admin, crash shutdown, cannot connect now: this backend is ending


@asynccontextmanager
async def read_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """For a hot read (GET) that needs no session: the asyncpg connection of a connection
    checked out of the app's pool, returned after. No transaction is opened, so each
    statement runs on its own as on the autocommit read session; the pool's events (its
    metrics) see the check-out and check-in as for a session. Errors are asyncpg's own,
    answered by ``common.errors`` as the session's are; a broken connection is discarded."""
    engine: AsyncEngine = request.app.state.engine
    pooled = await engine.raw_connection()
    driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]
    try:
        yield driver
    except _BROKEN as e:
        lost = driver.is_closed() or isinstance(e, OSError | asyncpg.PostgresConnectionError)
        await greenlet_spawn(pooled.invalidate)
        if not lost:
            raise  # a misuse of a good connection: a bug, answered 500
        # What SQLAlchemy raises for a connection lost under a session: answered 503.
        raise sa_exc.InterfaceError(None, None, e, connection_invalidated=True) from e
    except asyncpg.PostgresError as e:
        if (e.sqlstate or "").startswith(_SHUTTING_DOWN):
            await greenlet_spawn(pooled.invalidate)
        raise
    finally:
        # In a greenlet, as SQLAlchemy's own check-in: the pool may close the connection.
        await greenlet_spawn(pooled.close)


@asynccontextmanager
async def write_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """For a write that needs no session (ADR 0101): a connection of the app's pool, as
    ``read_connection`` checks it out, in a transaction of its own that commits when the
    block ends without an exception and rolls back when it raises. Checked out only for the
    block: what the route does before it (calls to other services) holds no connection."""
    async with read_connection(request) as conn, conn.transaction():
        yield conn
