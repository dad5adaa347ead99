"""``/v1/indicators/report``: what a report document reads of logistics in one answer, each
part exactly what its own route answers (coverage on the period's last day, parcels by
month), for a month and a quarter, a county, a prefecture and the nation."""

from datetime import date, timedelta

import asyncpg
import httpx

from common.auth import Role
from common.months import add_months, current_month
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


async def test_each_part_is_what_its_own_route_answers(
    logistics: httpx.AsyncClient, db: asyncpg.Pool
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
            report = await _get(logistics, "/v1/indicators/report", {**where, "period": label})
            as_of = (add_months(last, 1) - timedelta(days=1)).isoformat()
            assert report["coverage"] == await _get(
                logistics, "/v1/indicators/coverage", {**where, "as_of": as_of}
            )
            assert report["volumes"] == await _get(
                logistics,
                "/v1/indicators/volumes",
                {**where, "from": _month(first), "to": _month(last)},
            )
    county = await _get(
        logistics, "/v1/indicators/report", {"division": "141102", "period": quarter}
    )
    assert [m["outbound_parcels"] for m in county["volumes"]["months"]] == [10, 0, 20]
    assert county["coverage"]["township_coverage"]["reached"] == 1  # 枣林乡's carrier has left


async def test_bad_report_queries(logistics: httpx.AsyncClient) -> None:
    period = f"period={_month(LAST)}"
    r = await logistics.get("/v1/indicators/report?period=2026-Q5", headers=ADMIN)
    problem(r, 422, "invalid_period", "period")
    running = f"period={_month(current_month())}"
    r = await logistics.get(f"/v1/indicators/report?{running}", headers=ADMIN)
    problem(r, 422, "period_not_finished", "period")
    r = await logistics.get(f"/v1/indicators/report?{period}&division=1499", headers=ADMIN)
    problem(r, 404, "division_not_found", "division")
    r = await logistics.get(f"/v1/indicators/report?{period}&division=14x", headers=ADMIN)
    problem(r, 422, "invalid_division", "division")
    public = internal_headers(Role.PUBLIC, subject="anonymous")
    r = await logistics.get(f"/v1/indicators/report?{period}&division=141102", headers=public)
    problem(r, 401, "authentication_required")
    r = await logistics.get(f"/v1/indicators/report?{period}&division=141102", headers=ZTO)
    problem(r, 403, "role_forbidden")
    r = await logistics.get(f"/v1/indicators/report?{period}&division=1411", headers=LISHI_OFFICIAL)
    problem(r, 403, "outside_scope")
