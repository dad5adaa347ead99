"""The stations part of a station's record (ADR 0076): the station as its own GET shows it to
the caller, the reports of the last 12 finished months as their list shows them, or why that
list refuses the caller; the plain case answered before FastAPI's routing gives the route's
answer byte for byte (``common.hotpath``)."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from common.months import add_months, current_month
from services.stations.record.router import HOT_RECORD_PART
from tests.hotpath import Passed, layer_client
from tests.stations.factories import insert_report, insert_station
from tests.support import internal_headers, problem

VILLAGE = "141124100201"
LAST_MONTH = add_months(current_month(), -1)
TO_THE_ROUTE = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
ROLES = {
    "admin": internal_headers(Role.ADMIN, subject="admin:1"),
    "official here": internal_headers(Role.OFFICIAL, subject="o:1", division="141124"),
    "official elsewhere": internal_headers(Role.OFFICIAL, subject="o:2", division="141102"),
    "operator": internal_headers(Role.OPERATOR, subject="op:1", station=f"{VILLAGE}-07"),
    "public": internal_headers(Role.PUBLIC, subject="public"),
}


@pytest.fixture
async def code(db: asyncpg.Pool) -> str:
    station = await insert_station(db, VILLAGE, seq=7)
    await db.execute(
        "UPDATE stations.station SET operator_name = '王小明', operator_phone = '13800138000'"
        " WHERE code = $1",
        station.code,
    )
    for back in (13, 2, 0):  # the oldest is outside the 12 months
        await insert_report(db, station.id, add_months(LAST_MONTH, -back))
    return station.code


def _answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_a_plain_read_answers_what_the_route_does(
    stations: httpx.AsyncClient, code: str, role: str
) -> None:
    url = f"/v1/record-parts/stations/{code}"
    hot = await stations.get(url, headers=ROLES[role])
    routed = await stations.get(url, headers=ROLES[role] | TO_THE_ROUTE)
    assert hot.status_code == 200, hot.text
    assert _answer(hot) == _answer(routed)


async def test_each_piece_as_its_own_route_shows_it(stations: httpx.AsyncClient, code: str) -> None:
    url = f"/v1/record-parts/stations/{code}"
    for role in ("official here", "official elsewhere", "public"):
        part = (await stations.get(url, headers=ROLES[role])).json()
        station = (await stations.get(f"/v1/stations/{code}", headers=ROLES[role])).json()
        assert part["station"] == station  # masked as the station GET masks it
        assert part["month"] == LAST_MONTH.strftime("%Y-%m")
    here = (await stations.get(url, headers=ROLES["official here"])).json()
    listed = await stations.get(
        f"/v1/stations/{code}/reports",
        params={"from": add_months(LAST_MONTH, -11).strftime("%Y-%m"), "to": here["month"]},
        headers=ROLES["official here"],
    )
    assert here["reports"] == listed.json()["items"]
    assert [r["month"] for r in here["reports"]] == [
        add_months(LAST_MONTH, -2).strftime("%Y-%m"),
        LAST_MONTH.strftime("%Y-%m"),
    ]
    assert here["refused"] == {}
    for role, status, problem_code in (
        ("public", 401, "authentication_required"),
        ("official elsewhere", 403, "outside_scope"),
    ):
        part = (await stations.get(url, headers=ROLES[role])).json()
        own = (await stations.get(f"/v1/stations/{code}/reports", headers=ROLES[role])).json()
        assert part["reports"] is None
        assert part["refused"]["reports"] == {
            "status": status,
            "code": problem_code,
            "detail": own["detail"],
        }
    zh = await stations.get(url, headers=ROLES["public"] | {"Accept-Language": "zh"})
    assert "登录" in zh.json()["refused"]["reports"]["detail"]


async def test_bad_input(stations: httpx.AsyncClient, code: str) -> None:
    problem(
        await stations.get(
            "/v1/record-parts/stations/141124100201-99",
            headers=ROLES["admin"] | {"Accept-Language": "zh"},
        ),
        404,
        "station_not_found",
        "code",
    )
    problem(
        await stations.get("/v1/record-parts/stations/1411241-01", headers=ROLES["admin"]),
        422,
        "validation_failed",
        "code",
    )
    problem(await stations.get(f"/v1/record-parts/stations/{code}"), 401, "token_missing")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/record-parts/stations/{code}?crs=gcj02", ROLES["admin"]),
        ("/v1/record-parts/stations/{code}", {}),
        ("/v1/record-parts/stations/{code}", {"Authorization": "Bearer not-a-token"}),
        ("/v1/record-parts/stations/{code}", ROLES["admin"] | {"If-None-Match": '"1"'}),
        ("/v1/record-parts/stations/141124100201-99", ROLES["admin"]),  # no such station
        ("/v1/record-parts/stations/1411241002-01", ROLES["admin"]),  # not a station code
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    stations: httpx.AsyncClient,
    stations_app: FastAPI,
    code: str,
    path: str,
    headers: dict[str, str],
) -> None:
    route = Passed()
    async with layer_client(stations_app, [HOT_RECORD_PART], route) as client:
        answer = await client.get(path.format(code=code), headers=headers)
        plain = await client.get(f"/v1/record-parts/stations/{code}", headers=ROLES["admin"])
    assert answer.status_code == 299
    assert route.paths == [path.format(code=code).partition("?")[0]]
    assert plain.status_code == 200, plain.text  # the plain case it does answer
    assert plain.json()["station"]["code"] == code
