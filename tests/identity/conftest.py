"""The gateway in process (its identity routes), in front of a stations service served on a
loopback port (identity asks it whether divisions and stations exist). Argon2 runs at its
lowest allowed cost here: the tests check behaviour, bench/benchmarks/login.py the cost."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from gateway.app import create as create_gateway
from gateway.settings import GatewaySettings
from services.stations.app import create as create_stations
from services.stations.settings import StationsSettings
from tests.support import closed_port, serve

FAST_ARGON2 = {"argon2_memory_kib": 8192, "argon2_time_cost": 1, "argon2_parallelism": 1}
ADMIN_PHONE = "13800000001"
ADMIN_PASSWORD = "county centre admin 2024"


@pytest.fixture(scope="session")
def stations_url(database_url: str) -> Iterator[str]:
    with serve(create_stations(StationsSettings(database_url=database_url))) as url:
        yield url


@pytest.fixture(scope="session")
def nowhere() -> Iterator[str]:
    """The other services: a port that refuses, so a forwarded request is seen to pass."""
    with closed_port() as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
async def gateway_app(database_url: str, stations_url: str, nowhere: str) -> AsyncIterator[FastAPI]:
    settings = GatewaySettings(
        database_url=database_url,
        stations_url=stations_url,
        logistics_url=nowhere,
        training_url=nowhere,
        programme_url=nowhere,
        # No background reload racing the tests: account ids restart at 1 in every test, so
        # a revocation reloaded from the test before would refuse this test's tokens.
        revocation_refresh_seconds=3600,
        **FAST_ARGON2,
    )
    app = create_gateway(settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def gw(gateway_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client
    # Revocations this process noted belong to the test that made them (tables are emptied).
    gateway_app.state.identity.revocations.entries = {}


@dataclass
class Tokens:
    access: str
    refresh: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


async def login(client: httpx.AsyncClient, phone: str, password: str) -> Tokens:
    r = await client.post(
        "/auth/token", data={"grant_type": "password", "username": phone, "password": password}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    return Tokens(body["access_token"], body.get("refresh_token"))


@pytest.fixture
async def admin(gw: httpx.AsyncClient, gateway_app: FastAPI, database_url: str) -> Tokens:
    """The first admin, made as `ruralnet users create-admin` makes it, signed in."""
    from gateway.identity.users.bootstrap import create_admin

    await create_admin(
        gateway_app.state.settings, database_url, ADMIN_PHONE, "管理员", ADMIN_PASSWORD
    )
    return await login(gw, ADMIN_PHONE, ADMIN_PASSWORD)


async def create_user(client: httpx.AsyncClient, by: Tokens, **body: Any) -> dict[str, Any]:
    payload = {"display_name": "王芳", "password": "shanxi lin county 9", **body}
    r = await client.post("/auth/users", json=payload, headers=by.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
