"""``/v1/indicators/report``: what a report document reads of logistics in one answer, each
part exactly what its own route answers (coverage on the period's last day, parcels by
month), for a month and a quarter, a county, a prefecture and the nation; answered by its hot
route byte for byte as by the route (ADR 0100), every bad request passed on to the route."""

from datetime import date, timedelta

import asyncpg
import httpx
from fastapi import FastAPI

from common.auth import Role
from common.months import add_months, current_month
from services.logistics.indicators.router import HOT_ROUTES
from tests.hotpath import declined, hot_and_routed
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    LISHI_OFFICIAL,
    XIALUOBAO,
    ZAOLIN,
    ZTO,
    add_point,
    coverage,
)
from tests.support import internal_headers, problem

LAST = add_months(current_month(), -1)
# The last quarter that is over: the one before the quarter now running.
QUARTER = add_months(current_month().replace(month=(current_month().month - 1) // 3 * 3 + 1), -3)


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> dict:
    r = await client.get(path, params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


async def _hot(client: httpx.AsyncClient, app: FastAPI, params: dict[str, str]) -> dict:
    url = httpx.URL("/v1/indicators/report", params=params)
    body: dict = (await hot_and_routed(client, app, HOT_ROUTES, str(url), ADMIN)).json()
    return body


async def test_each_part_is_what_its_own_route_answers(
    logistics: httpx.AsyncClient, logistics_app: FastAPI, db: asyncpg.Pool
) -> None:
    for division in (JIESHANG, XIALUOBAO):
        await add_point(db, division)
    ended = add_months(QUARTER, 2) - timedelta(days=1)  # covered until the quarter's 2nd month
    rows = [
        coverage(JIESHANG, carrier="zto", valid_from=QUARTER.isoformat()),
        coverage(
            ZAOLIN,
            carrier="sf",
            mode="via_township_hub",
            valid_from=QUARTER.isoformat(),
            valid_to=ended.isoformat(),
        ),
    ]
    r = await logistics.post("/v1/coverage/bulk", json=rows, headers=ADMIN)
    assert r.json()["counts"]["created"] == 2, r.text
    days = [(QUARTER, 10, 100), (add_months(QUARTER, 2), 20, 300), (LAST, 70, 900)]
    volumes = [
        {"carrier": "zto", "day": day.isoformat(), "station_code": f"{JIESHANG}-01",
         "outbound_parcels": up, "outbound_weight_kg": up, "inbound_parcels": down,
         "inbound_weight_kg": down}
        for day, up, down in days
    ]  # fmt: skip
    r = await logistics.post("/v1/volumes/bulk", json=volumes, headers=ZTO)
    assert r.json()["counts"]["created"] == 3, r.text

    quarter = f"{QUARTER.year}-Q{(QUARTER.month - 1) // 3 + 1}"
    periods = {_month(LAST): (LAST, LAST), quarter: (QUARTER, add_months(QUARTER, 2))}
    for prefix in ("141102", "1411", None):
        where = {"division": prefix} if prefix else {}
        for label, (first, last) in periods.items():
            report = await _hot(logistics, logistics_app, {**where, "period": label})
            as_of = (add_months(last, 1) - timedelta(days=1)).isoformat()
            assert report["coverage"] == await _get(
                logistics, "/v1/indicators/coverage", {**where, "as_of": as_of}
            )
            assert report["volumes"] == await _get(
                logistics,
                "/v1/indicators/volumes",
                {**where, "from": _month(first), "to": _month(last)},
            )
    county = await _hot(logistics, logistics_app, {"division": "141102", "period": quarter})
    assert [m["outbound_parcels"] for m in county["volumes"]["months"]] == [10, 0, 20]
    assert county["coverage"]["township_coverage"]["reached"] == 1  # 枣林乡's carrier has left


async def test_bad_report_queries(logistics: httpx.AsyncClient, logistics_app: FastAPI) -> None:
    async def bad(query: str, headers: dict[str, str] = ADMIN) -> httpx.Response:
        url = f"/v1/indicators/report?{query}"
        return await declined(logistics, logistics_app, HOT_ROUTES, url, headers)

    period = f"period={_month(LAST)}"
    problem(await bad("period=2026-Q5"), 422, "invalid_period", "period")
    problem(await bad(f"period={_month(current_month())}"), 422, "period_not_finished", "period")
    problem(await bad(f"{period}&division=1499"), 404, "division_not_found", "division")
    problem(await bad(f"{period}&division=14x"), 422, "invalid_division", "division")
    problem(await bad("division=1411"), 422, "validation_failed", "period")
    public = internal_headers(Role.PUBLIC, subject="anonymous")
    r = await bad(f"{period}&division=141102", public)
    problem(r, 401, "authentication_required")
    problem(await bad(f"{period}&division=141102", ZTO), 403, "role_forbidden")
    problem(await bad(f"{period}&division=1411", LISHI_OFFICIAL), 403, "outside_scope")
