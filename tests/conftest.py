"""Test set-up: a fresh ``ruralnet_test`` database on real PostgreSQL + PostGIS, built by the
real migrations, with the bundled seed regions loaded once as reference data.

Without ``DATABASE_URL`` the private cluster under ``.data/`` is started (and stopped again
if this run started it). Each test then leaves nothing behind: every table that is not
reference data (``info={"reference": True}``) is truncated after it.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from common.settings import async_database_url, plain_database_url
from ruralnet.devdb import Cluster, ensure_database
from tests.support import FIELD_KEY, FIELD_KEY_ID, INTERNAL_SECRET, JWT_SECRET

os.environ["RURALNET_ENV"] = "test"
os.environ["RURALNET_INTERNAL_SECRET"] = INTERNAL_SECRET
os.environ["GATEWAY_JWT_SECRET"] = JWT_SECRET
os.environ["TRAINING_FIELD_KEYS"] = f'{{"{FIELD_KEY_ID}": "{FIELD_KEY}"}}'
os.environ["TRAINING_FIELD_KEY_ID"] = FIELD_KEY_ID
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

    url, started = _test_url()
    asyncio.run(ensure_database(url, fresh=True))
    asyncio.run(_tune(url))
    migrate_all(url)
    asyncio.run(load_seed_regions(url))
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


def _mutable_tables() -> list[str]:
    from gateway.models import Base as GatewayBase
    from services.logistics.models import Base as LogisticsBase
    from services.stations.models import Base as StationsBase
    from services.training.models import Base as TrainingBase

    names = []
    for base in (StationsBase, LogisticsBase, TrainingBase, GatewayBase):
        for table in base.metadata.sorted_tables:
            if not table.info.get("reference"):
                names.append(f'"{table.schema}"."{table.name}"')
    return names


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A raw asyncpg pool on the test database, for checks made independently of the apps."""
    pool = await asyncpg.create_pool(plain_database_url(database_url), min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(autouse=True)
async def _clean(db: asyncpg.Pool) -> AsyncIterator[None]:
    yield
    tables = _mutable_tables()
    if tables:
        await db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as client,
    ):
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
async def logistics(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from services.logistics.app import create
    from services.logistics.settings import LogisticsSettings

    async for client in _client(create(LogisticsSettings(database_url=database_url))):
        yield client


@pytest.fixture(scope="session")
async def training(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from services.training.app import create
    from services.training.settings import TrainingSettings

    async for client in _client(create(TrainingSettings(database_url=database_url))):
        yield client
