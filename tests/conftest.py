"""Test set-up: a fresh ``ruralnet_test`` database on real PostgreSQL + PostGIS, built by the
real migrations, with the bundled seed regions loaded once as reference data.

Without ``DATABASE_URL`` the private cluster (``ruralnet.devdb``) is started (and stopped
again if this run started it). A database that cannot be had stops the run with one message,
not an error per test. Each test then leaves nothing behind: every table that is not
reference data (``info={"reference": True}``) is truncated after it.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.settings import async_database_url, plain_database_url
from ruralnet.devdb import Cluster, ClusterError, ensure_database
from tests.support import (
    FIELD_KEY,
    FIELD_KEY_ID,
    INTERNAL_SECRET,
    JWT_SECRET,
    PHONE_INDEX_KEY,
    app_client,
    load_reference_copies,
    serve,
)

if TYPE_CHECKING:
    from common.reference_sync import ReferenceFollower

os.environ["RURALNET_ENV"] = "test"
os.environ["RURALNET_INTERNAL_SECRET"] = INTERNAL_SECRET
os.environ["GATEWAY_JWT_SECRET"] = JWT_SECRET
os.environ["GATEWAY_PHONE_INDEX_KEY"] = PHONE_INDEX_KEY
os.environ["TRAINING_FIELD_KEYS"] = f'{{"{FIELD_KEY_ID}": "{FIELD_KEY}"}}'
os.environ["TRAINING_FIELD_KEY_ID"] = FIELD_KEY_ID
os.environ["GATEWAY_FIELD_KEYS"] = os.environ["TRAINING_FIELD_KEYS"]
os.environ["GATEWAY_FIELD_KEY_ID"] = FIELD_KEY_ID
# Apps built with default settings (the authorization matrix) must not follow whatever
# stations answers on the development port; tests that need the feed drive it themselves.
os.environ["PROGRAMME_FOLLOW_STATIONS"] = "false"
os.environ["LOGISTICS_FOLLOW_STATIONS"] = "false"
os.environ["TRAINING_FOLLOW_STATIONS"] = "false"
# Parallel runs on one cluster each name their own database.
TEST_DATABASE = os.environ.get("RURALNET_TEST_DATABASE", "ruralnet_test")


def _test_url() -> tuple[str, Cluster | None]:
    given = os.environ.get("DATABASE_URL")
    if given:
        base = async_database_url(given).rsplit("/", 1)[0]
        return f"{base}/{TEST_DATABASE}", None
    cluster = Cluster()
    started = cluster.start(any_port=True)
    return cluster.url(TEST_DATABASE), cluster if started else None


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    from ruralnet.cli import migrate_all
    from services.stations.divisions.seed import load_seed_regions

    try:
        url, started = _test_url()
        asyncio.run(ensure_database(url, fresh=True))
    except (ClusterError, OSError, asyncpg.PostgresError) as e:
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the private cluster"
        pytest.exit(f"no test database ({where}): {type(e).__name__}: {e}", returncode=3)
    asyncio.run(_tune(url))
    migrate_all(url)
    asyncio.run(load_seed_regions(url))
    asyncio.run(load_reference_copies(url, _reference_followers()))
    # Loading announced itself on the stations feed: every test starts from empty tables.
    asyncio.run(_truncate_mutable(url))
    os.environ["DATABASE_URL"] = url
    try:
        yield url
    finally:
        if started is not None:
            started.stop()


async def _tune(url: str) -> None:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        # Tests may lose their last commits on a crash; nothing else changes.
        await conn.execute(f'ALTER DATABASE "{TEST_DATABASE}" SET synchronous_commit = off')
    finally:
        await conn.close()


def _reference_followers() -> list["ReferenceFollower"]:
    """Every component's division reference copy (docs/adr/0020), loaded once from stations
    by the real snapshot path; its tables are reference data, kept between tests."""
    from services.logistics.stations_feed import REFERENCE as LOGISTICS_REFERENCE
    from services.programme.stations_feed import REFERENCE as PROGRAMME_REFERENCE
    from services.training.stations_feed import REFERENCE as TRAINING_REFERENCE

    return [LOGISTICS_REFERENCE, PROGRAMME_REFERENCE, TRAINING_REFERENCE]


def _bases() -> list[Any]:
    from gateway.models import Base as GatewayBase
    from services.logistics.models import Base as LogisticsBase
    from services.programme.models import Base as ProgrammeBase
    from services.stations.models import Base as StationsBase
    from services.training.models import Base as TrainingBase

    return [StationsBase, LogisticsBase, TrainingBase, ProgrammeBase, GatewayBase]


def _mutable_tables() -> list[str]:
    from common.migrations import LIBRARY_TABLES

    names = [f'"{schema}"."{name}"' for schema, tables in LIBRARY_TABLES.items() for name in tables]
    for base in _bases():
        for table in base.metadata.sorted_tables:
            if not table.info.get("reference") and not table.info.get("keep"):
                names.append(f'"{table.schema}"."{table.name}"')
    return names


async def _truncate_mutable(url: str) -> None:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        await conn.execute(f"TRUNCATE {', '.join(_mutable_tables())} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


def _kept_rows_cleanups() -> list[str]:
    """Tables that mix reference rows (presets, ``info={"keep": <SQL condition>}``) with
    rows a test wrote: everything but the kept rows goes, children first."""
    statements = []
    for base in _bases():
        for table in reversed(base.metadata.sorted_tables):
            keep = table.info.get("keep")
            if keep and not table.info.get("reference"):
                statements.append(f'DELETE FROM "{table.schema}"."{table.name}" WHERE NOT ({keep})')
    return statements


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A raw asyncpg pool on the test database, for checks made independently of the apps."""
    pool = await asyncpg.create_pool(plain_database_url(database_url), min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="session")
async def _written_check(db: asyncpg.Pool) -> str:
    """One query naming the mutable tables a test left rows in, and those whose identity
    sequence it advanced (an insert rolled back leaves the table empty but the sequence on)."""
    tables = _mutable_tables()
    owned = await db.fetch(
        """SELECT format('%I.%I', tn.nspname, t.relname) AS tbl,
                  format('%I.%I', sn.nspname, s.relname) AS seq
           FROM pg_depend d
           JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
           JOIN pg_namespace sn ON sn.oid = s.relnamespace
           JOIN pg_class t ON t.oid = d.refobjid
           JOIN pg_namespace tn ON tn.oid = t.relnamespace
           WHERE d.deptype IN ('a', 'i')"""
    )
    sequences = {row["tbl"]: row["seq"] for row in owned}
    parts = []
    for table in tables:
        literal = table.replace("'", "''")
        parts.append(f"SELECT '{literal}' WHERE EXISTS (SELECT 1 FROM {table})")
        seq = sequences.get(table.replace('"', ""))
        if seq is not None:
            parts.append(f"SELECT '{literal}' FROM {seq} WHERE is_called")
    return " UNION ".join(parts)


@pytest.fixture(autouse=True)
async def _clean(db: asyncpg.Pool, _written_check: str) -> AsyncIterator[None]:
    yield
    # Truncating every table after every test cost ~0.7 s a test (a new file per table and
    # index); only what the test wrote is truncated, so a test that wrote nothing costs a query.
    if _written_check:
        written = [row[0] for row in await db.fetch(_written_check)]
        if written:
            await db.execute(f"TRUNCATE {', '.join(written)} RESTART IDENTITY CASCADE")
    for statement in _kept_rows_cleanups():
        await db.execute(statement)


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        yield client


@pytest.fixture(scope="session")
async def stations_app(database_url: str) -> FastAPI:
    from services.stations.app import create
    from services.stations.settings import StationsSettings

    return create(StationsSettings(database_url=database_url))


@pytest.fixture(scope="session")
async def stations(stations_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the stations app (no token: add ``internal_headers(...)``)."""
    async for client in _client(stations_app):
        yield client


@pytest.fixture(scope="session")
async def logistics_app(database_url: str) -> FastAPI:
    from services.logistics.app import create
    from services.logistics.settings import LogisticsSettings

    return create(LogisticsSettings(database_url=database_url, follow_stations=False))


@pytest.fixture(scope="session")
async def logistics(logistics_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(logistics_app):
        yield client


@pytest.fixture(scope="session")
async def training_app(database_url: str) -> FastAPI:
    from services.training.app import create
    from services.training.settings import TrainingSettings

    return create(TrainingSettings(database_url=database_url, follow_stations=False))


@pytest.fixture(scope="session")
async def training(training_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(training_app):
        yield client


@pytest.fixture(scope="session")
def stations_server(database_url: str) -> Iterator[str]:
    """A stations app on a loopback port, for components that call it over HTTP."""
    from services.stations.app import create
    from services.stations.settings import StationsSettings

    with serve(create(StationsSettings(database_url=database_url))) as url:
        yield url


@pytest.fixture(scope="session")
def training_server(database_url: str) -> Iterator[str]:
    """A training app on a loopback port, for components that call it over HTTP."""
    from services.training.app import create
    from services.training.settings import TrainingSettings

    with serve(create(TrainingSettings(database_url=database_url, follow_stations=False))) as url:
        yield url


@pytest.fixture(scope="session")
async def programme_app(database_url: str, stations_server: str, training_server: str) -> FastAPI:
    from services.programme.app import create
    from services.programme.settings import ProgrammeSettings

    settings = ProgrammeSettings(
        database_url=database_url,
        stations_url=stations_server,
        training_url=training_server,
        follow_stations=False,
    )
    return create(settings)


@pytest.fixture(scope="session")
async def programme(programme_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the programme app (no token: add ``internal_headers(...)``)."""
    async for client in _client(programme_app):
        yield client
