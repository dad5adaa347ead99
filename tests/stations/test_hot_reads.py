"""The hot read of a station (``common.hotpath``, ADR 0051): the plain case of
``GET /v1/stations/{code}`` answered before FastAPI's routing gives the route's answer, byte
for byte, and every other case is left to the route.

The route's own answer is had from the same app with a header the route ignores and the hot
path declines (``If-Modified-Since``); the layer is also driven by itself to see which
requests it answers and which it passes on.
"""

from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from common.auth import Role
from common.hotpath import HotPathMiddleware
from services.stations.registry.router import HOT_READ
from tests.stations.factories import insert_station
from tests.support import internal_headers

VILLAGE = "141124100201"  # 前麻峪村委会, 临县
OTHER_COUNTY = "141102"
TO_THE_ROUTE = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
ROLES = {
    "admin": internal_headers(Role.ADMIN, subject="admin:1"),
    "official here": internal_headers(Role.OFFICIAL, subject="o:1", division="141124"),
    "official elsewhere": internal_headers(Role.OFFICIAL, subject="o:2", division=OTHER_COUNTY),
    "public": internal_headers(Role.PUBLIC, subject="public"),
}


@pytest.fixture
async def code(db: asyncpg.Pool) -> str:
    station = await insert_station(db, VILLAGE, seq=7)
    await db.execute(
        """
        UPDATE stations.station
        SET location = ST_SetSRID(ST_MakePoint(111.0012345, 37.9512345), 4326),
            operator_name = '王小明', operator_phone = '13800138000',
            company_name = '临县电商公司', company_credit_code = '91141124MA0GTEST0X',
            services = '{produce_sales,parcels}', address = '临泉镇前麻峪村'
        WHERE code = $1
        """,
        station.code,
    )
    return station.code


def _answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("query", ["", "?crs=gcj02", "?crs=bd09", "?crs=WGS84"])
async def test_a_plain_read_answers_what_the_route_does(
    stations: httpx.AsyncClient, code: str, role: str, query: str
) -> None:
    url = f"/v1/stations/{code}{query}"
    hot = await stations.get(url, headers=ROLES[role])
    routed = await stations.get(url, headers=ROLES[role] | TO_THE_ROUTE)
    assert hot.status_code == 200, hot.text
    assert _answer(hot) == _answer(routed)
    assert hot.headers["x-request-id"]


async def test_head_answers_the_get_headers(stations: httpx.AsyncClient, code: str) -> None:
    got = await stations.get(f"/v1/stations/{code}", headers=ROLES["admin"])
    head = await stations.head(f"/v1/stations/{code}", headers=ROLES["admin"])
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]


class _Route:
    """Stands for the rest of the app behind the layer: counts what it is passed."""

    def __init__(self) -> None:
        self.passed: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _layer(app: FastAPI, route: _Route) -> Any:
    layer = HotPathMiddleware(route, routes=[HOT_READ], tokens=app.state.internal_tokens)

    async def with_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app  # what Starlette sets before any layer runs
        scope.setdefault("state", {})
        await layer(scope, receive, send)

    return with_app


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/stations/{code}?format=geojson", ROLES["admin"]),
        ("/v1/stations/{code}?crs=mars", ROLES["admin"]),
        ("/v1/stations/{code}?crs=gcj02&crs=bd09", ROLES["admin"]),
        ("/v1/stations/{code}?crs=gcj%3002", ROLES["admin"]),
        ("/v1/stations/{code}", ROLES["admin"] | {"Accept": "application/geo+json"}),
        ("/v1/stations/{code}", ROLES["admin"] | {"If-None-Match": '"1"'}),
        ("/v1/stations/{code}", {}),
        ("/v1/stations/{code}", {"Authorization": "Bearer not-a-token"}),
        ("/v1/stations/{code}", {"Authorization": "Basic dXNlcjpwYXNz"}),
        ("/v1/stations/{code}", ROLES["admin"] | {"X-Note": "a\x00b"}),
        ("/v1/stations/141124100201-99", ROLES["admin"]),  # no such station
        ("/v1/stations/lifecycle", ROLES["admin"]),
        ("/v1/stations/1411241002-01", ROLES["admin"]),  # not a station code
        ("/v1/stations/{code}/", ROLES["admin"]),
        ("/v1/stations/{code}/transitions", ROLES["admin"]),
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    stations: httpx.AsyncClient,
    stations_app: FastAPI,
    code: str,
    path: str,
    headers: dict[str, str],
) -> None:
    route = _Route()
    transport = httpx.ASGITransport(app=_layer(stations_app, route))
    async with httpx.AsyncClient(transport=transport, base_url="http://stations") as client:
        answer = await client.get(path.format(code=code), headers=headers)
        plain = await client.get(f"/v1/stations/{code}", headers=ROLES["admin"])
    assert answer.status_code == 299
    assert route.passed == [path.format(code=code).partition("?")[0]]
    assert plain.status_code == 200, plain.text  # the plain case it does answer
    assert plain.json()["code"] == code


async def test_the_hot_read_is_measured_under_the_routes_template(
    stations: httpx.AsyncClient, code: str
) -> None:
    await stations.get(f"/v1/stations/{code}", headers=ROLES["admin"])
    metrics = (await stations.get("/metrics")).text
    assert 'route="/v1/stations/{code}"' in metrics
