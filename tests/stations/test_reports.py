"""Monthly operating reports: submission, revisions, idempotency, authorization, bulk upload,
reporting rate and overdue stations — each rule, and each bad input as a specific problem."""

import asyncio
import json
from datetime import date

import asyncpg
import httpx
import pytest

from common.auth import NATION, Role
from tests.stations.factories import figures, insert_report, insert_station, problem
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.support import internal_headers

VILLAGE = "141124100201"  # 前麻峪村委会, 临泉镇, 临县 (Lüliang)
OTHER_VILLAGE = "141124100202"  # 后麻峪村委会, same township
LISHI_VILLAGE = "141102004203"  # 大中局村委会, 离石区: another county of Lüliang
CODE = f"{VILLAGE}-01"


CURRENT = _month(0)
LAST = _month(-1)  # the last finished month
EARLIER = _month(-2)
FUTURE = _month(1)


def operator(station: str = CODE) -> dict[str, str]:
    return internal_headers(Role.OPERATOR, subject=f"operator:{station}", station=station)


def official(division: str) -> dict[str, str]:
    return internal_headers(Role.OFFICIAL, subject=f"official:{division}", division=division)


def url(month: date | str, station: str = CODE) -> str:
    return f"/v1/stations/{station}/reports/{month if isinstance(month, str) else _text(month)}"


async def _counts(db: asyncpg.Pool) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM stations.monthly_report"),
        await db.fetchval("SELECT count(*) FROM stations.monthly_report_revision"),
        await db.fetchval(
            "SELECT count(*) FROM stations.change_event WHERE topic = 'monthly_report'"
        ),
    )


# --- single reports --------------------------------------------------------------------------


async def test_operator_sends_a_report(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await insert_station(db, VILLAGE)
    headers = operator() | {"Idempotency-Key": "report-key-0001"}
    r = await stations.put(url(LAST), json=figures(upward_amount=1234.5), headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["station_code"] == CODE
    assert body["month"] == _text(LAST)
    assert body["revision"] == 1
    assert body["upward_amount"] == "1234.50"
    assert body["households_served"] == 310
    assert body["submitted_by"] == f"operator:{CODE}"
    assert r.headers["etag"] == '"1"'

    got = await stations.get(url(LAST), headers=internal_headers(Role.PLATFORM, division=NATION))
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == '"1"'

    assert await _counts(db) == (1, 1, 1)
    event = await db.fetchrow("SELECT * FROM stations.change_event")
    assert event["topic"] == "monthly_report"
    assert event["key"] == f"{CODE}/{_text(LAST)}"
    assert event["action"] == "created"
    assert event["version"] == 1
    payload = json.loads(event["payload"])
    assert payload["upward_amount"] == "1234.50"
    assert payload["division_code"] == VILLAGE


async def test_a_resend_returns_the_first_answer(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    headers = operator() | {"Idempotency-Key": "report-key-0002"}
    first = await stations.put(url(LAST), json=figures(), headers=headers)
    assert first.status_code == 201
    again = await stations.put(url(LAST), json=figures(), headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await _counts(db) == (1, 1, 1)


async def test_a_reused_key_with_another_body_is_refused(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    headers = operator() | {"Idempotency-Key": "report-key-0003"}
    assert (await stations.put(url(LAST), json=figures(), headers=headers)).status_code == 201
    r = await stations.put(url(LAST), json=figures(parcels_in=1), headers=headers)
    body = problem(r, 422, "idempotency_key_reused", "Idempotency-Key")
    assert body["errors"][0]["location"] == "header"
    # nor for another month
    r = await stations.put(url(EARLIER), json=figures(), headers=headers)
    problem(r, 422, "idempotency_key_reused", "Idempotency-Key")
    assert await _counts(db) == (1, 1, 1)


async def test_a_correction_is_a_new_revision_with_history(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    assert (await stations.put(url(LAST), json=figures(), headers=operator())).status_code == 201
    r = await stations.put(url(LAST), json=figures(upward_orders=215), headers=operator())
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2
    assert r.json()["upward_orders"] == 215
    assert r.headers["etag"] == '"2"'

    history = await stations.get(url(LAST) + "/revisions", headers=operator())
    assert history.status_code == 200
    items = history.json()["items"]
    assert [(i["revision"], i["upward_orders"]) for i in items] == [(1, 214), (2, 215)]

    events = await db.fetch(
        "SELECT action, version FROM stations.change_event ORDER BY id", timeout=5
    )
    assert [(e["action"], e["version"]) for e in events] == [("created", 1), ("revised", 2)]


async def test_the_same_figures_again_change_nothing(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    assert (await stations.put(url(LAST), json=figures(), headers=operator())).status_code == 201
    # 18650 is the same amount as "18650.00"
    r = await stations.put(url(LAST), json=figures(upward_amount=18650), headers=operator())
    assert r.status_code == 200
    assert r.json()["revision"] == 1
    assert await _counts(db) == (1, 1, 1)


async def test_if_match_guards_a_correction(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await insert_station(db, VILLAGE)
    stale = await stations.put(url(LAST), json=figures(), headers=operator() | {"If-Match": '"1"'})
    problem(stale, 412, "stale_version", "If-Match")
    assert (await stations.put(url(LAST), json=figures(), headers=operator())).status_code == 201
    ok = await stations.put(
        url(LAST), json=figures(parcels_out=1), headers=operator() | {"If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.json()["revision"] == 2
    stale = await stations.put(
        url(LAST), json=figures(parcels_out=2), headers=operator() | {"If-Match": '"1"'}
    )
    body = problem(stale, 412, "stale_version", "If-Match")
    assert body["current_etag"] == '"2"'


async def test_concurrent_submissions_are_serialised(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    responses = await asyncio.gather(
        *(
            stations.put(url(LAST), json=figures(parcels_in=n), headers=operator())
            for n in range(1, 6)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert sorted(r.json()["revision"] for r in responses) == [1, 2, 3, 4, 5]
    assert await _counts(db) == (1, 5, 5)


@pytest.mark.parametrize("month", ["2026-9", "2026-13", "202609", "2026-00", "sept", "0999-01"])
async def test_a_malformed_month_is_refused(
    stations: httpx.AsyncClient, db: asyncpg.Pool, month: str
) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(url(month), json=figures(), headers=operator())
    body = problem(r, 422, "invalid_month", "month")
    assert body["errors"][0]["location"] == "path"


async def test_a_future_month_is_refused(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(url(FUTURE), json=figures(), headers=operator())
    problem(r, 422, "future_month", "month")


async def test_the_running_month_is_refused_until_it_is_over(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(url(CURRENT), json=figures(), headers=operator())
    problem(r, 422, "month_not_finished", "month")


@pytest.mark.parametrize(
    "name",
    [
        "upward_amount",
        "upward_orders",
        "downward_amount",
        "downward_orders",
        "parcels_in",
        "parcels_out",
        "households_served",
        "poor_households_served",
    ],
)
async def test_a_negative_figure_is_refused(
    stations: httpx.AsyncClient, db: asyncpg.Pool, name: str
) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(url(LAST), json=figures(**{name: -1}), headers=operator())
    body = problem(r, 422, "validation_failed", name)
    assert body["errors"] == [
        {
            "location": "body",
            "pointer": f"/{name}",
            "field": name,
            "code": "negative_figure",
            "detail": "must not be negative",
        }
    ]
    assert await _counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"upward_amount": "12.345"}, "decimal_max_places", "upward_amount"),
        ({"upward_amount": "NaN"}, "invalid_amount", "upward_amount"),
        ({"upward_amount": "1,23"}, "invalid_amount", "upward_amount"),
        ({"parcels_in": "many"}, "invalid_count", "parcels_in"),
        ({"parcels_in": 2**31}, "less_than_equal", "parcels_in"),
        ({"parcel_count": 3}, "extra_forbidden", "parcel_count"),
    ],
)
async def test_a_malformed_figure_is_refused(
    stations: httpx.AsyncClient,
    db: asyncpg.Pool,
    overrides: dict[str, object],
    code: str,
    field: str,
) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(url(LAST), json=figures(**overrides), headers=operator())  # type: ignore[arg-type]
    body = problem(r, 422, "validation_failed", field)
    assert body["errors"][0]["code"] == code


async def test_a_missing_figure_is_refused(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await insert_station(db, VILLAGE)
    body = figures()
    del body["parcels_out"]
    r = await stations.put(url(LAST), json=body, headers=operator())
    assert problem(r, 422, "validation_failed", "parcels_out")["errors"][0]["code"] == "missing"


async def test_poor_households_cannot_exceed_households(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(
        url(LAST),
        json=figures(households_served=10, poor_households_served=11),
        headers=operator(),
    )
    problem(r, 422, "poor_exceeds_households", "poor_households_served")


@pytest.mark.parametrize("status", ["planned", "building", "suspended", "closed"])
async def test_only_operating_or_accepted_stations_report(
    stations: httpx.AsyncClient, db: asyncpg.Pool, status: str
) -> None:
    await insert_station(db, VILLAGE, status=status)
    r = await stations.put(url(LAST), json=figures(), headers=operator())
    body = problem(r, 409, "station_not_operating", "station_code")
    assert body["station_status"] == status
    assert await _counts(db) == (0, 0, 0)


async def test_an_accepted_station_reports(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await insert_station(db, VILLAGE, status="accepted")
    r = await stations.put(url(LAST), json=figures(), headers=operator())
    assert r.status_code == 201


async def test_no_report_before_the_station_began_operating(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE, operating_since=LAST)
    r = await stations.put(url(EARLIER), json=figures(), headers=operator())
    body = problem(r, 422, "before_operating", "month")
    assert body["operating_since"] == _text(LAST)
    assert (await stations.put(url(LAST), json=figures(), headers=operator())).status_code == 201


async def test_unknown_and_malformed_station_codes(stations: httpx.AsyncClient) -> None:
    r = await stations.put(url(LAST, station=f"{OTHER_VILLAGE}-01"), json=figures())
    assert r.status_code == 401  # no token at all
    admin = internal_headers(Role.ADMIN)
    r = await stations.put(url(LAST, station=f"{OTHER_VILLAGE}-01"), json=figures(), headers=admin)
    problem(r, 404, "station_not_found", "station_code")
    r = await stations.put(url(LAST, station="14112410020-1"), json=figures(), headers=admin)
    problem(r, 422, "invalid_station_code", "station_code")


async def test_who_may_send_a_report(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await insert_station(db, VILLAGE)
    other = await insert_station(db, OTHER_VILLAGE)

    r = await stations.put(url(LAST), json=figures(), headers=operator(other.code))
    problem(r, 403, "not_your_station", None)
    r = await stations.put(url(LAST), json=figures(), headers=official("141102"))
    problem(r, 403, "outside_scope", None)
    for headers in (
        internal_headers(Role.CARRIER, carrier="zhongtong"),
        internal_headers(Role.PLATFORM, division="14"),
        internal_headers(Role.SERVICE),
    ):
        r = await stations.put(url(LAST), json=figures(), headers=headers)
        problem(r, 403, "role_forbidden", None)
    r = await stations.put(url(LAST), json=figures(), headers=internal_headers(Role.PUBLIC))
    problem(r, 401, "authentication_required", None)
    assert await _counts(db) == (0, 0, 0)

    r = await stations.put(url(EARLIER), json=figures(), headers=official("141124"))
    assert r.status_code == 201
    assert r.json()["submitted_by"] == "official:141124"
    r = await stations.put(url(EARLIER), json=figures(parcels_in=9), headers=official("1411"))
    assert r.status_code == 200
    r = await stations.put(url(LAST), json=figures(), headers=internal_headers(Role.ADMIN))
    assert r.status_code == 201


async def test_problems_speak_chinese_when_asked(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await insert_station(db, VILLAGE)
    r = await stations.put(
        url(FUTURE), json=figures(), headers=operator() | {"Accept-Language": "zh-CN"}
    )
    body = problem(r, 422, "future_month", "month")
    assert "尚未到来" in body["detail"]


async def test_reading_reports(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    station = await insert_station(db, VILLAGE, operating_since=date(2025, 1, 1))
    months = [date(2025, m, 1) for m in (1, 2, 3, 5)]
    for month in months:
        await insert_report(db, station.id, month, parcels_in=month.month)
    headers = internal_headers(Role.PLATFORM, division="14")
    seen: list[str] = []
    page_url: str | None = f"/v1/stations/{CODE}/reports?limit=3"
    pages = 0
    while page_url:
        page = await stations.get(page_url, headers=headers)
        assert page.status_code == 200, page.text
        seen += [item["month"] for item in page.json()["items"]]
        page_url = page.json()["next"]
        pages += 1
    assert seen == ["2025-01", "2025-02", "2025-03", "2025-05"]
    assert pages == 2

    ranged = await stations.get(
        f"/v1/stations/{CODE}/reports", params={"from": "2025-02", "to": "2025-03"}, headers=headers
    )
    assert [i["month"] for i in ranged.json()["items"]] == ["2025-02", "2025-03"]
    bad = await stations.get(
        f"/v1/stations/{CODE}/reports", params={"from": "2025/02"}, headers=headers
    )
    problem(bad, 422, "invalid_month", "from")
    bad = await stations.get(f"/v1/stations/{CODE}/reports?cursor=zz", headers=headers)
    problem(bad, 400, "invalid_cursor", "cursor")

    missing = await stations.get(url("2025-04"), headers=headers)
    problem(missing, 404, "report_not_found", "month")
    missing = await stations.get(url("2025-04") + "/revisions", headers=headers)
    problem(missing, 404, "report_not_found", "month")
    unknown = await stations.get(f"/v1/stations/{OTHER_VILLAGE}-01/reports", headers=headers)
    problem(unknown, 404, "station_not_found", "station_code")


# --- bulk ------------------------------------------------------------------------------------


def _row(station: str, month: date | str, **overrides: int | str) -> dict[str, int | str]:
    return {
        "station_code": station,
        "month": month if isinstance(month, str) else _text(month),
    } | figures(**overrides)


async def test_bulk_json_answers_each_row(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    a = await insert_station(db, VILLAGE)
    b = await insert_station(db, OTHER_VILLAGE, status="building")
    lishi = await insert_station(db, LISHI_VILLAGE)
    late = await insert_station(db, "141124100203", operating_since=LAST)
    await insert_report(db, a.id, EARLIER)  # to revise
    await insert_report(db, a.id, _month(-3))  # to send unchanged

    rows = [
        _row(a.code, LAST),  # 1 created
        _row(a.code, EARLIER, parcels_in=7),  # 2 revised
        _row(a.code, _month(-3)),  # 3 unchanged
        _row(a.code, LAST, parcels_in=8),  # 4 duplicate of row 1
        _row(b.code, LAST),  # 5 building
        _row(lishi.code, LAST),  # 6 outside the official's county
        _row("141124100299-01", LAST),  # 7 unknown station
        _row(a.code, FUTURE),  # 8 future
        _row(a.code, "2026-13"),  # 9 malformed month
        _row(a.code, _month(-4), upward_orders=-3),  # 10 negative
        _row(late.code, EARLIER),  # 11 before operating
        _row(a.code, _month(-5), households_served=1, poor_households_served=2),  # 12
        "not an object",  # 13
        _row(late.code, LAST, upward_amount="1.999"),  # 14 too many decimals
    ]
    r = await stations.post("/v1/reports/bulk", json=rows, headers=official("141124"))
    assert r.status_code == 200, r.text
    body = r.json()
    results = body["results"]
    assert [x["index"] for x in results] == list(range(1, 15))
    outcome = {x["index"]: x["status"] for x in results}
    assert outcome[1] == "created"
    assert outcome[2] == "updated"
    assert outcome[3] == "unchanged"
    assert results[1]["revision"] == 2
    assert results[2]["revision"] == 1
    expected = {
        4: (422, "duplicate_row", "month"),
        5: (409, "station_not_operating", "station_code"),
        6: (403, "outside_scope", None),
        7: (404, "station_not_found", "station_code"),
        8: (422, "future_month", "month"),
        9: (422, "invalid_month", "month"),
        10: (422, "negative_figure", "upward_orders"),
        11: (422, "before_operating", "month"),
        12: (422, "poor_exceeds_households", "poor_households_served"),
        13: (422, "expected_object", "body"),
        14: (422, "decimal_max_places", "upward_amount"),
    }
    for row, (status, code, field) in expected.items():
        result = results[row - 1]
        assert result["status"] == "rejected", result
        assert (result["http_status"], result["code"]) == (status, code), result
        assert result.get("field") == field, result
        assert result["message"], result
    assert results[3]["station_code"] == a.code
    assert results[8]["month"] == "2026-13"
    assert set(results[0]) == {"index", "status", "station_code", "month", "revision"}
    assert body["counts"] == {
        "rows": 14,
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "rejected": 11,
    }
    assert body["dry_run"] is False

    # 2 reports inserted directly + 1 created; revisions: 2 + 1 created + 1 revised
    assert await _counts(db) == (3, 4, 2)
    keys = {row["key"] for row in await db.fetch("SELECT key FROM stations.change_event")}
    assert keys == {f"{a.code}/{_text(LAST)}", f"{a.code}/{_text(EARLIER)}"}


async def test_bulk_dry_run_writes_nothing(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    a = await insert_station(db, VILLAGE)
    await insert_report(db, a.id, EARLIER)
    rows = [_row(a.code, LAST), _row(a.code, EARLIER, parcels_in=1), _row(a.code, FUTURE)]
    r = await stations.post(
        "/v1/reports/bulk?dry_run=true", json=rows, headers=internal_headers(Role.ADMIN)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True
    assert [(x["status"], x.get("revision")) for x in body["results"]] == [
        ("created", 1),
        ("updated", 2),
        ("rejected", None),
    ]
    assert await _counts(db) == (1, 1, 0)


async def test_bulk_csv_with_bad_rows(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    a = await insert_station(db, VILLAGE)
    b = await insert_station(db, OTHER_VILLAGE)
    header = (
        "station_name,station_code,month,upward_amount,upward_orders,downward_amount,"
        "downward_orders,parcels_in,parcels_out,households_served,poor_households_served"
    )
    csv_text = "\n".join(
        [
            header,
            f"前麻峪,{a.code},{_text(LAST)},100.5,3,20,4,50,6,70,8",
            f"后麻峪,{b.code},{_text(LAST)},,3,20,4,50,6,70,8",  # empty cell
            f"后麻峪,{b.code},{_text(EARLIER)},100,three,20,4,50,6,70,8",
            f"后麻峪,{b.code},{_text(LAST)[:4]}/13,100,3,20,4,50,6,70,8",
            f"后麻峪,{b.code},{_text(_month(-3))},100,3,-20,4,50,6,70,8",
            f'"后麻峪, 二组",{b.code},{_text(_month(-4))},100,3,20,4,50,6,70,8',
        ]
    )
    r = await stations.post(
        "/v1/reports/bulk",
        content=csv_text.encode("gb18030"),  # what Chinese Excel saves
        headers=official("1411") | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [(x["index"], x["line"], x["status"]) for x in results] == [
        (1, 2, "created"),
        (2, 3, "rejected"),
        (3, 4, "rejected"),
        (4, 5, "rejected"),
        (5, 6, "rejected"),
        (6, 7, "created"),
    ]
    problems = [(x["code"], x["field"]) for x in results[1:5]]
    assert problems == [
        ("missing", "upward_amount"),
        ("invalid_count", "upward_orders"),
        ("invalid_month", "month"),
        ("negative_figure", "downward_amount"),
    ]
    stored = await db.fetchrow(
        "SELECT upward_amount, households_served FROM stations.monthly_report WHERE station_id = $1",
        a.id,
    )
    assert str(stored["upward_amount"]) == "100.50"
    assert stored["households_served"] == 70


async def test_bulk_csv_needs_its_columns(stations: httpx.AsyncClient) -> None:
    r = await stations.post(
        "/v1/reports/bulk",
        content=b"station_code,month,upward_amount\n141124100201-01,2026-01,1\n",
        headers=internal_headers(Role.ADMIN) | {"Content-Type": "text/csv; charset=utf-8"},
    )
    body = problem(r, 422, "missing_columns", None)
    assert "downward_amount" in {e["field"] for e in body["errors"]}
    r = await stations.post(
        "/v1/reports/bulk",
        content=b"",
        headers=internal_headers(Role.ADMIN) | {"Content-Type": "text/csv"},
    )
    problem(r, 422, "empty_batch", "body")


async def test_bulk_ndjson(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    a = await insert_station(db, VILLAGE)
    lines = [json.dumps(_row(a.code, LAST)), "{not json", json.dumps(_row(a.code, EARLIER))]
    r = await stations.post(
        "/v1/reports/bulk",
        content="\n".join(lines).encode(),
        headers=operator() | {"Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "rejected", "created"]
    assert (results[1]["code"], results[1]["http_status"]) == ("malformed_json", 400)
    assert results[1]["line"] == 2


async def test_bulk_refuses_what_is_not_a_batch(stations: httpx.AsyncClient) -> None:
    admin = internal_headers(Role.ADMIN)
    r = await stations.post("/v1/reports/bulk", json={"station_code": CODE}, headers=admin)
    problem(r, 422, "expected_array", "body")
    r = await stations.post("/v1/reports/bulk", json=[], headers=admin)
    problem(r, 422, "empty_batch", "body")
    r = await stations.post(
        "/v1/reports/bulk",
        content=b"[{",
        headers=admin | {"Content-Type": "application/json"},
    )
    problem(r, 400, "malformed_json", "body")
    r = await stations.post(
        "/v1/reports/bulk", content=b"<xml/>", headers=admin | {"Content-Type": "application/xml"}
    )
    problem(r, 415, "unsupported_media_type", "Content-Type")
    r = await stations.post("/v1/reports/bulk", json=[_row(CODE, LAST)] * 5001, headers=admin)
    problem(r, 422, "too_many_rows", "body")
    r = await stations.post(
        "/v1/reports/bulk",
        json=[_row(CODE, LAST)],
        headers=internal_headers(Role.CARRIER, carrier="zhongtong"),
    )
    problem(r, 403, "role_forbidden", None)


async def test_bulk_operator_only_for_its_own_station(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    a = await insert_station(db, VILLAGE)
    b = await insert_station(db, OTHER_VILLAGE)
    r = await stations.post(
        "/v1/reports/bulk", json=[_row(a.code, LAST), _row(b.code, LAST)], headers=operator()
    )
    results = r.json()["results"]
    assert results[0]["status"] == "created"
    assert results[1]["code"] == "not_your_station"
    assert results[1]["http_status"] == 403


async def test_bulk_resend_with_the_same_key(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    a = await insert_station(db, VILLAGE)
    headers = official("141124") | {"Idempotency-Key": "bulk-upload-0001"}
    rows = [_row(a.code, LAST), _row(a.code, EARLIER)]
    first = await stations.post("/v1/reports/bulk", json=rows, headers=headers)
    again = await stations.post("/v1/reports/bulk", json=rows, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await _counts(db) == (2, 2, 2)
    other = await stations.post("/v1/reports/bulk", json=rows[:1], headers=headers)
    problem(other, 422, "idempotency_key_reused", "Idempotency-Key")


async def test_bulk_row_problems_in_chinese(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    a = await insert_station(db, VILLAGE)
    r = await stations.post(
        "/v1/reports/bulk",
        json=[_row(a.code, CURRENT)],
        headers=operator() | {"Accept-Language": "zh"},
    )
    assert "尚未结束" in r.json()["results"][0]["message"]


# --- reporting rate and overdue stations -------------------------------------------------------


async def test_reporting_rate_and_overdue_stations(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    linxian = [
        await insert_station(db, f"141124100{seq}") for seq in (200, 201, 202, 203, 204)
    ]  # operating
    accepted = await insert_station(db, "141124100205", status="accepted")
    await insert_station(db, "141124100206", status="planned")  # not expected
    await insert_station(db, "141124100207", status="suspended")  # not expected
    await insert_station(db, "141124100208", operating_since=CURRENT)  # began later
    township = await insert_station(db, "141124100000")  # the township station, operating
    lishi = await insert_station(db, LISHI_VILLAGE)
    for station in linxian[:3]:
        await insert_report(db, station.id, LAST)
    await insert_report(db, linxian[3].id, EARLIER)  # another month only
    await insert_report(db, lishi.id, LAST)

    headers = internal_headers(Role.PLATFORM, division=NATION)
    r = await stations.get(
        "/v1/reports/rate", params={"division": "141124", "month": _text(LAST)}, headers=headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["division"] == {"code": "141124000000", "name": "临县", "level": "county"}
    assert (body["expected"], body["reported"], body["overdue"]) == (7, 3, 4)
    assert body["rate"] == pytest.approx(3 / 7)

    nation = (await stations.get("/v1/reports/rate", headers=headers)).json()
    assert nation["division"]["level"] == "nation"
    assert nation["month"] == _text(LAST)  # default: the last finished month
    assert (nation["expected"], nation["reported"]) == (8, 4)

    overdue: list[dict] = []
    page_url: str | None = f"/v1/reports/overdue?division=141124&month={_text(LAST)}&limit=2"
    while page_url:
        page = await stations.get(page_url, headers=headers)
        assert page.status_code == 200, page.text
        overdue += page.json()["items"]
        page_url = page.json()["next"]
    assert [s["code"] for s in overdue] == sorted(
        [linxian[3].code, linxian[4].code, accepted.code, township.code]
    )
    by_code = {s["code"]: s for s in overdue}
    assert by_code[linxian[3].code]["last_reported_month"] == _text(EARLIER)
    assert by_code[accepted.code]["last_reported_month"] is None
    assert by_code[accepted.code]["status"] == "accepted"

    village_scope = await stations.get(
        "/v1/reports/rate",
        params={"division": "141124100", "month": _text(EARLIER)},
        headers=headers,
    )
    assert (village_scope.json()["expected"], village_scope.json()["reported"]) == (7, 1)


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"month": "2026-13"}, 422, "invalid_month", "month"),
        ({"month": "FUTURE"}, 422, "future_month", "month"),
        ({"month": "CURRENT"}, 422, "month_not_finished", "month"),
        ({"division": "14112"}, 422, "invalid_division", "division"),
        ({"division": "141124100999"}, 404, "division_not_found", "division"),
        ({"division": "1499"}, 404, "division_not_found", "division"),
        ({"cursor": "@@"}, 400, "invalid_cursor", "cursor"),
    ],
)
async def test_rate_and_overdue_refuse_bad_queries(
    stations: httpx.AsyncClient, params: dict[str, str], status: int, code: str, field: str
) -> None:
    months = {"FUTURE": _text(FUTURE), "CURRENT": _text(CURRENT)}
    params = {k: months.get(v, v) for k, v in params.items()}
    for path in ("/v1/reports/overdue", "/v1/reports/rate"):
        if path.endswith("rate") and "cursor" in params:
            continue
        r = await stations.get(
            path, params=params, headers=internal_headers(Role.PLATFORM, division=NATION)
        )
        problem(r, status, code, field)
