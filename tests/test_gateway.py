"""The gateway in front of real running services: routing by prefix, the request id passed
on and back, the caller's token exchanged for an internal one, and what a caller meets when a
service is down, slow or unknown.

The services and the gateways run under uvicorn on free loopback ports in this process.
The training service carries the test-only ``/v1/private`` routes (``tests.probe``) so the
tests can see what a service received.
"""

import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import uvicorn

from common.auth import Principal, Role, verify_internal_token
from common.errors import PROBLEM_JSON
from gateway.app import create as create_gateway
from gateway.auth import USER_AUDIENCE, USER_ISSUER, mint_user_token
from gateway.proxy import UPSTREAM_KEEPALIVE_EXPIRY
from gateway.settings import GatewaySettings
from services.logistics.app import create as create_logistics
from services.logistics.settings import LogisticsSettings
from services.programme.app import create as create_programme
from services.programme.settings import ProgrammeSettings
from services.stations.app import create as create_stations
from services.stations.settings import StationsSettings
from services.training.app import create as create_training
from services.training.settings import TrainingSettings
from tests import probe
from tests.support import (
    INTERNAL_SECRET,
    JWT_SECRET,
    closed_port,
    internal_headers,
    serve,
    user_headers,
)

# Every request through these gateways must answer within it, the slow probe waits past it:
# long enough that a busy machine never makes a plain request a 504 (1 s once did).
UPSTREAM_TIMEOUT = 5.0
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class System:
    stations: str
    logistics: str
    training: str
    programme: str
    gateway: str
    # The same gateway, but its logistics URL is a port nobody listens on.
    gateway_without_logistics: str


@pytest.fixture(scope="module")
def system(database_url: str) -> Iterator[System]:
    with ExitStack() as stack:
        training_app = create_training(
            TrainingSettings(database_url=database_url, follow_stations=False)
        )
        training_app.include_router(probe.private)
        stations = stack.enter_context(
            serve(create_stations(StationsSettings(database_url=database_url)))
        )
        logistics = stack.enter_context(
            serve(
                create_logistics(
                    LogisticsSettings(database_url=database_url, follow_stations=False)
                )
            )
        )
        training = stack.enter_context(serve(training_app))
        programme = stack.enter_context(
            serve(
                create_programme(
                    ProgrammeSettings(database_url=database_url, follow_stations=False)
                )
            )
        )
        dead_port = stack.enter_context(closed_port())

        def gateway(logistics_url: str) -> str:
            settings = GatewaySettings(
                database_url=database_url,
                stations_url=stations,
                logistics_url=logistics_url,
                training_url=training,
                programme_url=programme,
                upstream_timeout=UPSTREAM_TIMEOUT,
            )
            return stack.enter_context(serve(create_gateway(settings)))

        yield System(
            stations=stations,
            logistics=logistics,
            training=training,
            programme=programme,
            gateway=gateway(logistics),
            gateway_without_logistics=gateway(f"http://127.0.0.1:{dead_port}"),
        )


@pytest.fixture
async def client(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


async def test_forwards_by_prefix(client: httpx.AsyncClient) -> None:
    for service in ("stations", "logistics", "training", "programme"):
        r = await client.get(f"/{service}/healthz")
        assert r.status_code == 200, (service, r.text)
        assert r.json() == {"status": "ok"}


async def test_the_request_id_reaches_the_service_and_comes_back(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/training/v1/private/whoami", headers={"X-Request-ID": "trace-7f3a"})
    assert r.status_code == 200, r.text
    assert r.json()["request_id"] == "trace-7f3a"
    assert r.headers["x-request-id"] == "trace-7f3a"
    assert r.headers.get_list("x-request-id") == ["trace-7f3a"]
    # The stations service names it in its own problem answers too.
    r = await client.get("/stations/v1/no-such-route", headers={"X-Request-ID": "trace-8b"})
    assert_problem(r, 404, "not_found")
    assert r.json()["request_id"] == "trace-8b"
    assert r.headers["x-request-id"] == "trace-8b"


async def test_a_request_id_is_generated_when_none_is_sent(client: httpx.AsyncClient) -> None:
    r = await client.get("/training/v1/private/whoami")
    assert r.status_code == 200, r.text
    generated = r.headers["x-request-id"]
    assert GENERATED_ID.match(generated)
    assert r.json()["request_id"] == generated
    again = await client.get("/training/v1/private/whoami")
    assert again.headers["x-request-id"] != generated


async def test_a_user_token_is_exchanged_for_an_internal_one(client: httpx.AsyncClient) -> None:
    official = Principal(subject="user:42", role=Role.OFFICIAL, division="141124")
    user_token = mint_user_token(official, secret=JWT_SECRET)
    r = await client.get(
        "/training/v1/private/whoami", headers={"Authorization": f"Bearer {user_token}"}
    )
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["principal"] == official.model_dump(mode="json")
    scheme, _, internal = seen["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert internal != user_token
    assert verify_internal_token(internal, secret=INTERNAL_SECRET) == official
    lifetime = jwt.decode(internal, options={"verify_signature": False})
    assert lifetime["exp"] - lifetime["iat"] == GatewaySettings().internal_token_ttl_seconds


async def test_an_anonymous_caller_gets_the_public_role(client: httpx.AsyncClient) -> None:
    r = await client.get("/training/v1/private/whoami")
    assert r.status_code == 200, r.text
    assert r.json()["principal"]["role"] == "public"
    assert r.json()["principal"]["subject"] == "anonymous"


# Tokens are made when each test runs (a lambda each), never at collection.
@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (
            lambda: (
                "Bearer "
                + mint_user_token(
                    Principal(subject="user:1", role=Role.ADMIN),
                    secret="a-forger-guessing-the-secret-0123456789",
                )
            ),
            "token_invalid",
        ),
        (
            lambda: (
                "Bearer "
                + jwt.encode(
                    {
                        "iss": USER_ISSUER,
                        "aud": USER_AUDIENCE,
                        "sub": "user:1",
                        "role": "admin",
                        "iat": int(time.time()) - 7200,
                        "exp": int(time.time()) - 3600,
                    },
                    JWT_SECRET,
                    "HS256",
                )
            ),
            "token_expired",
        ),
        (lambda: "Basic dXNlcjpwYXNz", "token_invalid"),
        (lambda: "Bearer", "token_invalid"),
    ],
)
async def test_a_bad_user_token_is_401_at_the_gateway(
    client: httpx.AsyncClient, authorization: Callable[[], str], code: str
) -> None:
    r = await client.get("/training/v1/private/whoami", headers={"Authorization": authorization()})
    assert_problem(r, 401, code)
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "official"},
        {"role": "official", "div": ""},
        {"role": "official", "div": "1"},
        {"role": "official", "div": "14110"},
        {"role": "platform", "div": "141124000001"},
        {"role": "operator"},
        {"role": "admin", "div": "14"},
        {"role": "service"},
        {"role": "public"},
    ],
    ids=repr,
)
async def test_a_user_token_that_would_widen_a_scope_is_401_at_the_gateway(
    client: httpx.AsyncClient, claims: dict[str, str]
) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"iss": USER_ISSUER, "aud": USER_AUDIENCE, "sub": "user:1", "iat": now,
         "exp": now + 600, **claims},
        JWT_SECRET,
        "HS256",
    )  # fmt: skip
    r = await client.get(
        "/training/v1/private/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(r, 401, "token_invalid")
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_an_anonymous_write_is_401_at_the_gateway(client: httpx.AsyncClient) -> None:
    r = await client.post("/stations/v1/stations", json={"tier": "village"})
    assert_problem(r, 401, "authentication_required")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_an_internal_token_is_no_user_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/training/v1/private/whoami", headers=internal_headers(Role.ADMIN))
    assert_problem(r, 401, "token_invalid")


async def test_a_service_that_is_down_is_503_naming_it(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_without_logistics, timeout=60) as client:
        r = await client.get("/logistics/v1/carriers", headers={"X-Request-ID": "down-1"})
        zh = await client.get("/logistics/v1/carriers", headers={"Accept-Language": "zh"})
        still_up = await client.get("/stations/healthz")
    body = assert_problem(r, 503, "service_unreachable")
    assert body["service"] == "logistics"
    assert "logistics" in body["detail"]
    assert body["request_id"] == "down-1"
    assert r.headers["retry-after"]
    assert assert_problem(zh, 503, "service_unreachable")["detail"].startswith("logistics 服务")
    assert still_up.status_code == 200


async def test_a_service_too_slow_is_504(client: httpx.AsyncClient) -> None:
    r = await client.get("/training/v1/private/slow", params={"seconds": UPSTREAM_TIMEOUT + 1})
    body = assert_problem(r, 504, "service_timeout")
    assert body["service"] == "training"
    fast = await client.get("/training/v1/private/slow", params={"seconds": 0})
    assert fast.json() == {"slept": 0}


async def test_an_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/payments/v1/orders"), 404, "unknown_service")
    assert "stations" in body["detail"]


async def test_bodies_queries_and_statuses_pass_through(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/training/v1/private/slow",
        params={"seconds": "-1"},
        headers={"Accept-Language": "zh"},
    )
    body = assert_problem(r, 422, "validation_failed")
    assert body["errors"][0]["pointer"] == "/seconds"
    assert body["errors"][0]["detail"].startswith("必须大于或等于 0")
    signed_in = user_headers(Principal(subject="user:1", role=Role.ADMIN))
    r = await client.post("/training/v1/private/whoami", json={"x": 1}, headers=signed_in)
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"


async def test_readyz_reports_each_service(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=60) as client:
        r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["services"] == {
        "stations": "ready",
        "logistics": "ready",
        "training": "ready",
        "programme": "ready",
    }
    assert r.json()["database"] == "ok"

    async with httpx.AsyncClient(base_url=system.gateway_without_logistics, timeout=60) as client:
        r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["retry-after"]
    assert r.json()["status"] == "not ready"
    assert r.json()["services"] == {
        "stations": "ready",
        "logistics": "unreachable",
        "training": "ready",
        "programme": "ready",
    }


def test_the_gateway_drops_idle_connections_before_the_services_do() -> None:
    """Otherwise it may send on a connection a service is just closing: a 502 for nothing."""
    assert uvicorn.Config("gateway.app:create").timeout_keep_alive > UPSTREAM_KEEPALIVE_EXPIRY
