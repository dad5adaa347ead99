"""The hot read of a station (``common.hotpath``, ADR 0051): the plain case of
``GET /v1/stations/{code}`` answered before FastAPI's routing gives the route's answer, byte
for byte, and every other case is left to the route.

How the two answers are had and compared: ``tests.hotpath``.
"""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.stations.registry.router import HOT_READ
from tests.hotpath import TO_THE_ROUTE, answer, through_layer
from tests.stations.factories import insert_station
from tests.support import internal_headers

VILLAGE = "141124100201"  # 前麻峪村委会, 临县
OTHER_COUNTY = "141102"
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


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("query", ["", "?crs=gcj02", "?crs=bd09", "?crs=WGS84"])
async def test_a_plain_read_answers_what_the_route_does(
    stations: httpx.AsyncClient, code: str, role: str, query: str
) -> None:
    url = f"/v1/stations/{code}{query}"
    hot = await stations.get(url, headers=ROLES[role])
    routed = await stations.get(url, headers=ROLES[role] | TO_THE_ROUTE)
    assert hot.status_code == 200, hot.text
    assert answer(hot) == answer(routed)
    assert hot.headers["x-request-id"]


async def test_head_answers_the_get_headers(stations: httpx.AsyncClient, code: str) -> None:
    got = await stations.get(f"/v1/stations/{code}", headers=ROLES["admin"])
    head = await stations.head(f"/v1/stations/{code}", headers=ROLES["admin"])
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]


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
    passed_on, passed = await through_layer(
        stations_app, [HOT_READ], path.format(code=code), headers
    )
    plain, none = await through_layer(
        stations_app, [HOT_READ], f"/v1/stations/{code}", ROLES["admin"]
    )
    assert passed_on.status_code == 299
    assert passed == [path.format(code=code).partition("?")[0]]
    assert (plain.status_code, none) == (200, []), plain.text  # the plain case it does answer
    assert plain.json()["code"] == code


async def test_the_hot_read_is_measured_under_the_routes_template(
    stations: httpx.AsyncClient, code: str
) -> None:
    await stations.get(f"/v1/stations/{code}", headers=ROLES["admin"])
    metrics = (await stations.get("/metrics")).text
    assert 'route="/v1/stations/{code}"' in metrics
