"""``/v1/indicators/report``: what a report document reads of stations in one answer, each
part exactly what its own route answers (the network, sales, the reporting rate of every
month), for a month and a quarter, a county, a prefecture and the nation; answered by its hot
route byte for byte as by the route (ADR 0100), every bad request passed on to the route."""

from datetime import date

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import NATION, Role
from common.months import add_months
from services.stations.indicators.router import HOT_ROUTES
from tests.hotpath import declined, hot_and_routed
from tests.stations.factories import insert_report, insert_station
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.support import internal_headers, problem

HEADERS = internal_headers(Role.PLATFORM, division=NATION)
LAST = _month(-1)
# The last quarter that is over: the one before the quarter now running.
QUARTER = add_months(date(_month(0).year, (_month(0).month - 1) // 3 * 3 + 1, 1), -3)


def _quarter_label(start: date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> object:
    r = await client.get(path, params=params, headers=HEADERS)
    assert r.status_code == 200, r.text
    return r.json()


async def _hot(client: httpx.AsyncClient, app: FastAPI, params: dict[str, str]) -> object:
    url = httpx.URL("/v1/indicators/report", params=params)
    return (await hot_and_routed(client, app, HOT_ROUTES, str(url), HEADERS)).json()


async def test_each_part_is_what_its_own_route_answers(
    stations: httpx.AsyncClient, stations_app: FastAPI, db: asyncpg.Pool
) -> None:
    point = await insert_station(db, "141124100201", operating_since=QUARTER)
    await insert_station(db, "141124100000", status="planned")
    late = await insert_station(db, "141102100200", operating_since=add_months(QUARTER, 1))
    await insert_report(db, point.id, QUARTER, upward_amount="12.50", upward_orders=3)
    await insert_report(db, point.id, add_months(QUARTER, 2), upward_amount="0.00")
    await insert_report(db, late.id, add_months(QUARTER, 1), upward_amount="99.90")

    periods = {
        _text(LAST): [LAST],
        _quarter_label(QUARTER): [QUARTER, add_months(QUARTER, 1), add_months(QUARTER, 2)],
    }
    for prefix in ("141124", "1411", None):
        where = {"division": prefix} if prefix else {}
        for label, months in periods.items():
            report = await _hot(stations, stations_app, {**where, "period": label})
            assert isinstance(report, dict)
            network = {**where, "month": _text(months[-1])}
            assert report["network"] == await _get(stations, "/v1/indicators/network", network)
            sales = {**where, "from": _text(months[0]), "to": _text(months[-1])}
            assert report["sales"] == await _get(stations, "/v1/indicators/sales", sales)
            assert report["reporting"] == [
                await _get(stations, "/v1/reports/rate", {**where, "month": _text(m)})
                for m in months
            ]
    quarter = await _hot(
        stations, stations_app, {"division": "1411", "period": _quarter_label(QUARTER)}
    )
    assert isinstance(quarter, dict)
    assert [r["expected"] for r in quarter["reporting"]] == [1, 2, 2]
    assert [r["reported"] for r in quarter["reporting"]] == [1, 1, 1]
    assert quarter["sales"]["total"]["upward_amount"] == "112.40"


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("period=2026-13", 422, "invalid_period", "period"),
        ("period=NOW", 422, "period_not_finished", "period"),
        ("period=LAST&division=14x", 422, "invalid_division", "division"),
        ("period=LAST&division=1499", 404, "division_not_found", "division"),
        ("division=1411", 422, "validation_failed", "period"),
    ],
)
async def test_bad_report_queries(
    stations: httpx.AsyncClient,
    stations_app: FastAPI,
    query: str,
    status: int,
    code: str,
    field: str,
) -> None:
    query = query.replace("NOW", _text(_month(0))).replace("LAST", _text(LAST))
    url = f"/v1/indicators/report?{query}"
    problem(await declined(stations, stations_app, HOT_ROUTES, url, HEADERS), status, code, field)


async def test_the_report_figures_are_not_public(
    stations: httpx.AsyncClient, stations_app: FastAPI
) -> None:
    period = f"period={_text(LAST)}"
    url = f"/v1/indicators/report?{period}&division=1411"
    public = internal_headers(Role.PUBLIC, subject="anonymous")
    r = await declined(stations, stations_app, HOT_ROUTES, url, public)
    problem(r, 401, "authentication_required")
    county = internal_headers(Role.OFFICIAL, division="141124")
    problem(await declined(stations, stations_app, HOT_ROUTES, url, county), 403, "outside_scope")
    r = await stations.get(f"/v1/indicators/report?{period}&division=141124", headers=county)
    assert r.status_code == 200, r.text
