"""What the public may read (ADR 0009): the registry of divisions and stations is a public
record (政务公开); a station's monthly figures, who submitted them, its history, overdue lists,
sales and the change feed are not. Every read route of the stations service is in one of the
two tables below (a new one fails ``test_every_read_route_is_decided``)."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from common.auth import Role
from tests.stations.factories import insert_report, insert_station, months_from_now
from tests.support import internal_headers

VILLAGE = "141124100201"  # 前麻峪村委会, 临县
CODE = f"{VILLAGE}-01"
OPEN = {
    "/openapi.json",
    "/docs",
    "/docs/assets/{name}",
    "/docs/oauth2-redirect",
    "/redoc",
    "/healthz",
    "/readyz",
    "/metrics",
}
LAST = months_from_now(-1).strftime("%Y-%m")

PUBLIC_READS = {
    "/v1/divisions": "/v1/divisions?under=1411",
    "/v1/divisions/flags/bulk/template": "/v1/divisions/flags/bulk/template",
    "/v1/divisions/{code}": "/v1/divisions/141124",
    "/v1/divisions/{code}/children": "/v1/divisions/141124/children",
    "/v1/divisions/{code}/boundary": "/v1/divisions/141124/boundary",
    "/v1/divisions/{code}/flags": "/v1/divisions/141124/flags",
    "/v1/stations/lifecycle": "/v1/stations/lifecycle",
    "/v1/stations": "/v1/stations",
    "/v1/stations/{code}": f"/v1/stations/{CODE}",
    "/v1/reports/bulk/template": "/v1/reports/bulk/template",
    "/v1/reports/rate": "/v1/reports/rate?division=141124",
    "/v1/indicators/network": "/v1/indicators/network?division=141124",
    "/v1/indicators/gaps/{kind}": "/v1/indicators/gaps/villages?division=141124",
    # the station, and why its reports are not shown (ADR 0076)
    "/v1/record-parts/stations/{code}": f"/v1/record-parts/stations/{CODE}",
}
SIGNED_IN_READS = {
    "/v1/stations/{code}/transitions": f"/v1/stations/{CODE}/transitions",
    "/v1/stations/{station_code}/reports": f"/v1/stations/{CODE}/reports",
    "/v1/stations/{station_code}/reports/{month}": f"/v1/stations/{CODE}/reports/{LAST}",
    "/v1/stations/{station_code}/reports/{month}/revisions": (
        f"/v1/stations/{CODE}/reports/{LAST}/revisions"
    ),
    "/v1/reports/overdue": "/v1/reports/overdue?division=141124",
    "/v1/indicators/sales": "/v1/indicators/sales?division=141124",
    "/v1/indicators/report": f"/v1/indicators/report?division=141124&period={LAST}",
    "/v1/changes": "/v1/changes",
    "/v1/changes/head": "/v1/changes/head",
    "/v1/reference/divisions": "/v1/reference/divisions",
    "/v1/reference/county-boundaries": "/v1/reference/county-boundaries",
}
ANONYMOUS = internal_headers(Role.PUBLIC, subject="anonymous")


def test_every_read_route_is_decided(stations_app: FastAPI) -> None:
    reads = {
        route.path
        for route in iter_route_contexts(stations_app.routes)
        if "GET" in (route.methods or set())
    }
    assert reads - OPEN == set(PUBLIC_READS) | set(SIGNED_IN_READS)
    assert not set(PUBLIC_READS) & set(SIGNED_IN_READS)


@pytest.fixture
async def reported(db: asyncpg.Pool) -> None:
    station = await insert_station(db, VILLAGE)
    await insert_report(db, station.id, months_from_now(-1))


async def test_the_public_reads_the_registry(stations: httpx.AsyncClient, reported: None) -> None:
    for url in PUBLIC_READS.values():
        r = await stations.get(url, headers=ANONYMOUS)
        assert r.status_code == 200, (url, r.text)
        assert "submitted_by" not in r.text, url


async def test_the_rest_needs_a_token(stations: httpx.AsyncClient, reported: None) -> None:
    for url in SIGNED_IN_READS.values():
        r = await stations.get(url, headers=ANONYMOUS | {"Accept-Language": "zh"})
        assert r.status_code == 401, (url, r.text)
        assert r.headers["www-authenticate"] == "Bearer", url
        assert r.json()["code"] == "authentication_required", url
        assert r.json()["detail"].startswith("请先登录"), url


# caller → whether it reads the station's figures (and history) and the division's sales
READERS = {
    "admin": (internal_headers(Role.ADMIN), 200, 200),
    "service": (internal_headers(Role.SERVICE, subject="service:programme"), 200, 200),
    "own operator": (internal_headers(Role.OPERATOR, station=CODE), 200, 403),
    "other operator": (internal_headers(Role.OPERATOR, station=f"{VILLAGE[:-1]}2-01"), 403, 403),
    "county official": (internal_headers(Role.OFFICIAL, division="141124"), 200, 200),
    "other county": (internal_headers(Role.OFFICIAL, division="141102"), 403, 403),
    "provincial platform": (internal_headers(Role.PLATFORM, division="14"), 200, 200),
    "another province's": (internal_headers(Role.PLATFORM, division="53"), 403, 403),
    "carrier": (internal_headers(Role.CARRIER, carrier="zhongtong"), 403, 403),
    "organiser": (internal_headers(Role.ORGANISER, organiser="91110000802100433B"), 403, 403),
}


@pytest.mark.parametrize("who", READERS)
async def test_who_reads_a_stations_records(
    stations: httpx.AsyncClient, reported: None, who: str
) -> None:
    headers, station_records, division_figures = READERS[who]
    for url in list(SIGNED_IN_READS.values())[:4]:
        r = await stations.get(url, headers=headers)
        assert r.status_code == station_records, (url, r.text)
    for url in (SIGNED_IN_READS["/v1/indicators/sales"], SIGNED_IN_READS["/v1/reports/overdue"]):
        r = await stations.get(url, headers=headers)
        assert r.status_code == division_figures, (url, r.text)


async def test_the_whole_country_needs_a_national_reader(
    stations: httpx.AsyncClient,
) -> None:
    county = internal_headers(Role.OFFICIAL, division="141124")
    r = await stations.get("/v1/indicators/sales", headers=county)
    assert (r.status_code, r.json()["code"]) == (403, "outside_scope")
    nation = internal_headers(Role.PLATFORM, division="nation")
    assert (await stations.get("/v1/indicators/sales", headers=nation)).status_code == 200
