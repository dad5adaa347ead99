"""``/healthz`` and ``/readyz`` on every app, and what a request meets when the database is
down or not migrated."""

import asyncio
from collections.abc import Callable

import pytest
from alembic import command
from fastapi import FastAPI

from common.errors import PROBLEM_JSON
from common.migrations import alembic_config, migration_head
from gateway.app import create as create_gateway
from gateway.settings import GatewaySettings
from services.logistics.app import create as create_logistics
from services.logistics.settings import LogisticsSettings
from services.programme.app import create as create_programme
from services.programme.settings import ProgrammeSettings
from services.stations.app import create as create_stations
from services.stations.settings import StationsSettings
from services.training.app import create as create_training
from services.training.settings import TrainingSettings
from tests.probe import probe_app
from tests.support import app_client, closed_port, scratch_database

SERVICES: dict[str, Callable[[str], FastAPI]] = {
    "stations": lambda url: create_stations(StationsSettings(database_url=url)),
    "logistics": lambda url: create_logistics(
        LogisticsSettings(database_url=url, follow_stations=False)
    ),
    "training": lambda url: create_training(
        TrainingSettings(database_url=url, follow_stations=False)
    ),
    "programme": lambda url: create_programme(
        ProgrammeSettings(database_url=url, follow_stations=False)
    ),
}


def unreachable_url(port: int) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/ruralnet"


@pytest.mark.parametrize("component", sorted(SERVICES))
async def test_ready_when_migrated(database_url: str, component: str) -> None:
    async with app_client(SERVICES[component](database_url)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        r = await client.get("/readyz")
        assert r.status_code == 200, r.text
        body = r.json()
        if component in ("logistics", "programme", "training"):  # how far it follows stations
            assert "lag_seconds" in body.pop("feeds")["stations"]
        assert body == {
            "status": "ready",
            "database": "ok",
            "migration": migration_head(component),
        }


@pytest.mark.parametrize("component", sorted(SERVICES))
async def test_not_ready_when_the_database_is_unreachable(component: str) -> None:
    with closed_port() as port:
        async with app_client(SERVICES[component](unreachable_url(port))) as client:
            assert (await client.get("/healthz")).status_code == 200
            r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    body = r.json()
    assert body["status"] == "not ready"
    assert body["database"] == "unreachable"


async def test_not_ready_until_the_migration_head_is_applied(database_url: str) -> None:
    async with (
        scratch_database(database_url, "unmigrated") as url,
        app_client(SERVICES["stations"](url)) as client,
    ):
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"
        assert r.json() == {
            "status": "not ready",
            "database": "ok",
            "migration": None,
            "expected": migration_head("stations"),
        }

        config = alembic_config("stations", url)
        config.attributes["skip_logging"] = True
        await asyncio.to_thread(command.upgrade, config, "head")
        assert (await client.get("/readyz")).status_code == 200

        await asyncio.to_thread(command.downgrade, config, "base")
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["migration"] is None


async def test_a_route_needing_the_database_is_503_when_it_is_down(database_url: str) -> None:
    async with app_client(probe_app(database_url)) as client:
        r = await client.get("/v1/probe/database")
        assert r.status_code == 200, r.text
    with closed_port() as port:
        async with app_client(probe_app(unreachable_url(port))) as client:
            r = await client.get("/v1/probe/database", headers={"X-Request-ID": "db-down-1"})
            zh = await client.get("/v1/probe/database", headers={"Accept-Language": "zh"})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.headers["retry-after"] == "5"
    assert r.headers["x-request-id"] == "db-down-1"
    body = r.json()
    assert body["code"] == "database_unavailable"
    assert body["detail"] == "The database cannot be reached; retry later"
    assert "127.0.0.1" not in r.text
    assert zh.status_code == 503
    assert zh.json()["title"] == "数据库暂不可用"


@pytest.mark.parametrize("component", [*sorted(SERVICES), "gateway"])
async def test_openapi_and_docs_answer_on_every_app(database_url: str, component: str) -> None:
    app = (
        create_gateway(GatewaySettings(database_url=database_url))
        if component == "gateway"
        else SERVICES[component](database_url)
    )
    async with app_client(app) as client:
        spec = await client.get("/openapi.json")
        assert spec.status_code == 200
        assert spec.json()["info"]["title"] == f"ruralnet {component}"
        assert "/healthz" in spec.json()["paths"]
        operation_ids = [
            operation["operationId"]
            for path in spec.json()["paths"].values()
            for operation in path.values()
        ]
        assert len(operation_ids) == len(set(operation_ids))
        docs = await client.get("/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
