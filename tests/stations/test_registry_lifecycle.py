"""Station lifecycle: the transition table, history, operating_since, acceptance (验收)."""

from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest

from common.months import CHINA_TZ, add_months
from services.stations.registry.lifecycle import TRANSITIONS, required_report_months
from services.stations.registry.models import StationStatus, StationTransition
from tests.stations.factories import problem
from tests.stations.registry_helpers import (
    ADMIN,
    JIESHANG,
    LIULIN_POINT,
    add_reports,
    complete,
    create,
    field_error,
    months_ago,
    move,
)

this_month = months_ago(0)


async def test_happy_path_with_history(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    r = await move(stations, code, "building", "operating")
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["transition"]["from"] == "building"
    assert result["transition"]["to"] == "operating"
    assert result["transition"]["actor"] == "admin:1"
    assert result["station"]["status"] == "operating"
    assert result["station"]["operating_since"] == this_month.isoformat()
    assert result["station"]["version"] == 3
    assert r.headers["ETag"] == '"3"'
    accepted = await move(stations, code, "accepted")  # began this month: no report due yet
    assert accepted.status_code == 201, accepted.text
    history = (await stations.get(f"/v1/stations/{code}/transitions", headers=ADMIN)).json()
    assert [(t["from"], t["to"]) for t in history["items"]] == [
        (None, "planned"),
        ("planned", "building"),
        ("building", "operating"),
        ("operating", "accepted"),
    ]
    assert all(t["actor"] == "admin:1" and t["at"] for t in history["items"])
    assert history["items"][1]["reason"] == "test: building"


async def test_history_is_paginated(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    await move(stations, code, "building", "operating")
    first = (await stations.get(f"/v1/stations/{code}/transitions?limit=2", headers=ADMIN)).json()
    assert len(first["items"]) == 2
    rest = (await stations.get(first["next"], headers=ADMIN)).json()
    assert [t["to"] for t in rest["items"]] == ["operating"]
    assert rest["next"] is None


ILLEGAL = [
    (start, target)
    for start in StationStatus
    for target in StationStatus
    if target not in TRANSITIONS[start] and start is not StationStatus.CLOSED
]

PATHS = {
    "planned": [],
    "building": ["building"],
    "operating": ["building", "operating"],
    "accepted": ["building", "operating", "accepted"],
    "suspended": ["building", "operating", "suspended"],
}


@pytest.mark.parametrize(("start", "target"), ILLEGAL)
async def test_illegal_transition(
    stations: httpx.AsyncClient, start: StationStatus, target: StationStatus
) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    if PATHS[start.value]:
        assert (await move(stations, code, *PATHS[start.value])).status_code == 201
    r = await move(stations, code, target.value)
    body = problem(r, 409, "illegal_transition")
    assert body["field"] == "to"
    assert (body["from_status"], body["to_status"]) == (start.value, target.value)
    assert start.value in body["detail"]
    assert target.value in body["detail"]


async def test_closed_is_final(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    assert (await move(stations, code, "closed")).status_code == 201
    for target in StationStatus:
        body = problem(await move(stations, code, target.value), 409, "illegal_transition")
        assert body["allowed"] == []


async def test_resume_after_suspension(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    await move(stations, code, "building", "operating")
    # suspended while operating: it resumes as operating, and is not accepted by resuming
    await move(stations, code, "suspended")
    refused = problem(await move(stations, code, "accepted"), 409, "illegal_transition")
    assert refused["allowed"] == ["operating", "closed"]
    assert "resume to operating" in refused["detail"]
    assert (await move(stations, code, "operating")).status_code == 201
    # suspended while accepted: resuming restores the acceptance
    await move(stations, code, "accepted", "suspended")
    back = await move(stations, code, "accepted")
    assert back.status_code == 201, back.text
    assert back.json()["station"]["operating_since"] == this_month.isoformat()


async def test_reason_required_to_suspend_or_close(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    r = await stations.post(
        f"/v1/stations/{code}/transitions", json={"to": "closed"}, headers=ADMIN
    )
    assert problem(r, 422, "reason_required")["field"] == "reason"


async def test_unknown_status(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    r = await stations.post(
        f"/v1/stations/{code}/transitions", json={"to": "demolished"}, headers=ADMIN
    )
    field_error(r, "to", "enum")


async def test_operating_since_recorded_after_the_fact(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    await move(stations, code, "building")
    wrong_step = await move(stations, code, "closed", operating_since="2024-03-15")
    assert problem(wrong_step, 422, "operating_since_not_applicable")["field"] == "operating_since"
    future = await move(
        stations, code, "operating", operating_since=add_months(this_month, 1).isoformat()
    )
    assert problem(future, 422, "future_month")["field"] == "operating_since"
    r = await move(stations, code, "operating", operating_since="2024-03-15")
    assert r.json()["station"]["operating_since"] == "2024-03-01"
    # a later return to operating keeps the month it first began
    await move(stations, code, "suspended")
    again = await move(stations, code, "operating")
    assert again.json()["station"]["operating_since"] == "2024-03-01"
    late = await move(stations, code, "suspended")
    assert late.status_code == 201
    once = await move(stations, code, "operating", operating_since="2024-05-01")
    problem(once, 422, "operating_since_not_applicable")


async def test_stale_if_match_on_transition(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    r = await stations.post(
        f"/v1/stations/{code}/transitions",
        json={"to": "building"},
        headers={**ADMIN, "If-Match": '"7"'},
    )
    problem(r, 412, "stale_version")
    ok = await stations.post(
        f"/v1/stations/{code}/transitions",
        json={"to": "building"},
        headers={**ADMIN, "If-Match": '"1"'},
    )
    assert ok.status_code == 201


async def test_transition_with_idempotency_key(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    headers = {**ADMIN, "Idempotency-Key": "to-building-000001"}
    first = await stations.post(
        f"/v1/stations/{code}/transitions", json={"to": "building"}, headers=headers
    )
    again = await stations.post(
        f"/v1/stations/{code}/transitions", json={"to": "building"}, headers=headers
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    count = await db.fetchval("SELECT count(*) FROM stations.station_transition")
    assert count == 2  # registration and one move


async def test_unknown_station(stations: httpx.AsyncClient) -> None:
    r = await move(stations, f"{JIESHANG}-09", "building")
    problem(r, 404, "station_not_found")
    r = await stations.get(f"/v1/stations/{JIESHANG}-09/transitions", headers=ADMIN)
    problem(r, 404, "station_not_found")


async def test_lifecycle_document(stations: httpx.AsyncClient) -> None:
    body = (await stations.get("/v1/stations/lifecycle", headers=ADMIN)).json()
    rules = {rule["status"]: rule["next"] for rule in body["rules"]}
    assert rules["planned"] == ["building", "closed"]
    assert rules["closed"] == []
    assert body["reason_required"] == ["suspended", "closed"]


# --- acceptance ------------------------------------------------------------------------------


async def test_acceptance_lists_every_missing_item(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    await move(stations, code, "building")
    await move(stations, code, "operating", operating_since=months_ago(2).isoformat())
    r = await move(stations, code, "accepted")
    body = problem(r, 422, "acceptance_incomplete")
    found = {(e["field"], e["code"]) for e in body["errors"]}
    assert found == {
        ("location", "missing_location"),
        ("operator.name", "missing_operator_name"),
        ("operator.phone", "missing_operator_phone"),
        ("company.name", "missing_company_name"),
        ("company.credit_code", "missing_company_credit_code"),
        ("services", "missing_services"),
        (f"monthly_reports.{months_ago(2):%Y-%m}", "missing_monthly_report"),
        (f"monthly_reports.{months_ago(1):%Y-%m}", "missing_monthly_report"),
    }
    assert all(e["location"] == "station" for e in body["errors"])
    current = (await stations.get(f"/v1/stations/{code}", headers=ADMIN)).json()
    assert current["status"] == "operating"


async def test_acceptance_needs_each_completed_month(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    await move(stations, code, "building")
    await move(stations, code, "operating", operating_since=months_ago(3).isoformat())
    # the current month is not due; the three before it are
    await add_reports(db, code, [months_ago(3), months_ago(1), this_month])
    r = await move(stations, code, "accepted")
    body = problem(r, 422, "acceptance_incomplete")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        (f"monthly_reports.{months_ago(2):%Y-%m}", "missing_monthly_report")
    ]
    assert body["field"] == f"monthly_reports.{months_ago(2):%Y-%m}"
    await add_reports(db, code, [months_ago(2)])
    ok = await move(stations, code, "accepted")
    assert ok.status_code == 201, ok.text
    assert ok.json()["station"]["status"] == "accepted"


async def test_acceptance_checks_the_location_again(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    await move(stations, code, "building", "operating")
    # e.g. a corrected boundary: the stored point now lies in the neighbouring county
    await db.execute(
        "UPDATE stations.station SET location = ST_SetSRID(ST_MakePoint($2, $3), 4326) "
        "WHERE code = $1",
        code,
        *LIULIN_POINT,
    )
    body = problem(await move(stations, code, "accepted"), 422, "acceptance_incomplete")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("location", "outside_county")]


def _transition(to: str, at: datetime, source: str = "operating") -> StationTransition:
    return StationTransition(from_status=source, to_status=to, at=at, actor="t")


def test_required_months_rule() -> None:
    today = date(2025, 6, 10)
    since = date(2025, 1, 1)
    assert required_report_months(since, [], today) == [date(2025, m, 1) for m in range(1, 6)]
    assert required_report_months(date(2025, 6, 1), [], today) == []
    assert required_report_months(None, [], today) == []
    # suspended from 20 February to 2 April (China time): March is excused, Feb and Apr not
    history = [
        _transition("suspended", datetime(2025, 2, 20, tzinfo=CHINA_TZ)),
        _transition("operating", datetime(2025, 4, 2, tzinfo=CHINA_TZ), "suspended"),
    ]
    months = required_report_months(since, history, today)
    assert months == [date(2025, m, 1) for m in (1, 2, 4, 5)]
    # still suspended: every whole month since is excused
    months = required_report_months(since, history[:1], today)
    assert months == [date(2025, 1, 1), date(2025, 2, 1)]
    # China midnight, not UTC: 2025-03-01 00:00 +08:00 is still 28 February in UTC
    edge = [_transition("suspended", datetime(2025, 2, 28, 16, 0, tzinfo=UTC)), history[1]]
    assert date(2025, 3, 1) not in required_report_months(since, edge, today)
    late = [_transition("suspended", datetime(2025, 2, 28, 16, 1, tzinfo=UTC)), history[1]]
    assert date(2025, 3, 1) in required_report_months(since, late, today)


async def test_a_closed_station_is_not_edited(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    closed = await move(stations, code, "closed")
    assert closed.status_code == 201, closed.text
    r = await stations.patch(
        f"/v1/stations/{code}",
        json={"name": "改名"},
        headers={**ADMIN, "If-Match": closed.headers["ETag"], "Accept-Language": "zh"},
    )
    body = problem(r, 409, "station_closed")
    assert "已关闭" in body["detail"]
    current = (await stations.get(f"/v1/stations/{code}", headers=ADMIN)).json()
    assert current["name"] != "改名"
