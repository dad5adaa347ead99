"""Attendance (single and sheets in bulk) and subsidies under versioned policies: every bad
input as its own problem or per-row result, idempotency, and rates that never move."""

import json

import asyncpg
import httpx

from tests.training.helpers import (
    YEJI_TOWNSHIP,
    YEJI_VILLAGE,
    ZH,
    admin,
    days_ago,
    make_session,
    official,
    person,
    problem,
    resident_id,
)


async def _sign(
    training: httpx.AsyncClient, session_id: int, day: str, **body: object
) -> httpx.Response:
    payload = {"trainee": person(), "day": day, **body}
    return await training.post(
        f"/v1/sessions/{session_id}/attendance", json=payload, headers=admin() | ZH
    )


async def test_sign_in_rules(training: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    s = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(2), duration_kind="several_days"
    )
    r = await _sign(training, s["id"], days_ago(3))
    assert r.status_code == 201, r.text
    assert (await _sign(training, s["id"], days_ago(3))).json()["outcome"] == "unchanged"
    body = problem(
        await _sign(training, s["id"], days_ago(3), part="am"), 409, "day_counted_twice", "day"
    )
    assert "重复" in body["detail"]
    other = await make_session(training, starts_on=days_ago(3), ends_on=days_ago(3))
    problem(await _sign(training, other["id"], days_ago(3), part="pm"), 409, "day_counted_twice")
    problem(await _sign(training, s["id"], days_ago(5)), 422, "outside_session_dates", "day")
    future = await make_session(training, starts_on=days_ago(-2), ends_on=days_ago(-2))
    problem(await _sign(training, future["id"], days_ago(-2)), 422, "future_attendance", "day")
    cancelled = await make_session(training, starts_on=days_ago(1), ends_on=days_ago(1))
    await training.post(
        f"/v1/sessions/{cancelled['id']}/status", json={"status": "cancelled"}, headers=admin()
    )
    problem(
        await _sign(training, cancelled["id"], days_ago(1)), 409, "session_cancelled", "session_id"
    )
    problem(
        await training.post(
            f"/v1/sessions/{s['id']}/status", json={"status": "cancelled"}, headers=admin()
        ),
        409,
        "session_has_attendance",
    )
    assert await db.fetchval("SELECT count(*) FROM training.attendance") == 1
    events = await db.fetch("SELECT payload FROM training.change_event WHERE topic = 'attendance'")
    assert [json.loads(e["payload"])["people"] for e in events] == [1]
    assert all("name" not in e["payload"] and "id_number" not in e["payload"] for e in events)


CSV_HEADER = "培训班编号,日期,时段,身份证号,姓名,手机,居住村代码,人员类别\n"


async def test_bulk_sheet_in_gb18030_creates_trainees_once(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    s = await make_session(
        training, starts_on=days_ago(2), ends_on=days_ago(1), duration_kind="several_days"
    )
    sid = s["id"]
    rows = [
        f"{sid},{days_ago(2).replace('-', '/')},全天,{resident_id(seq='101')},张三,13900000001,141124100201,建档立卡贫困户",
        f"{sid},{days_ago(1)},上午,{resident_id(seq='101')},张三,,141124100201,",
        f"{sid},{days_ago(1)},全天,{resident_id(seq='102')},李四,,141124100202,农村青年、退役军人",
        f"{sid},{days_ago(1)},全天,{resident_id(seq='102')},李四,,141124100202,",  # listed twice
        f"{sid},{days_ago(9)},全天,{resident_id(seq='103')},王五,,141124100202,",  # outside
        f"{sid},{days_ago(1)},全天,{resident_id('19900230')},赵六,,141124100202,",  # bad date
        f"{sid},{days_ago(1)},全天,{resident_id(seq='104')},孙七,,141124100000,",  # not a village
        f"999999,{days_ago(1)},全天,{resident_id(seq='105')},周八,,141124100202,",
    ]
    sheet = (CSV_HEADER + "\n".join(rows) + "\n").encode("gb18030")
    headers = admin() | ZH | {"Content-Type": "text/csv", "Idempotency-Key": "sheet-0001-abcdef"}
    dry = await training.post("/v1/attendance/bulk?dry_run=true", content=sheet, headers=headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"] == {
        "rows": 8,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 5,
        "trainees_created": 2,
    }
    assert await db.fetchval("SELECT count(*) FROM training.trainee") == 0

    r = await training.post("/v1/attendance/bulk", content=sheet, headers=headers)
    answer = r.json()
    assert answer["counts"] == dry.json()["counts"]
    codes = [(x["index"], x.get("code"), x.get("field")) for x in answer["results"]]
    assert codes == [
        (1, None, None),
        (2, None, None),
        (3, None, None),
        (4, "day_counted_twice", "day"),
        (5, "outside_session_dates", "day"),
        (6, "resident_id_birth_date", "id_number"),
        (7, "residence_not_village", "residence_code"),
        (8, "session_not_found", "session_id"),
    ]
    assert resident_id("19900230") not in r.text
    assert "不在其中" in answer["results"][4]["message"]
    assert await db.fetchval("SELECT count(*) FROM training.trainee") == 2
    assert await db.fetchval("SELECT categories FROM training.trainee WHERE name = '李四'") == [
        "rural_youth",
        "veteran",
    ]
    again = await training.post("/v1/attendance/bulk", content=sheet, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    fresh = await training.post(
        "/v1/attendance/bulk", content=sheet, headers=admin() | {"Content-Type": "text/csv"}
    )
    assert fresh.json()["counts"]["unchanged"] == 3
    assert fresh.json()["counts"]["created"] == 0
    assert await db.fetchval("SELECT count(*) FROM training.attendance") == 3


async def test_bulk_sheet_rows_with_recurring_cells_answer_for_themselves(
    training: httpx.AsyncClient,
) -> None:
    """A person's details and a session's day recur in a sheet and are validated once; a
    row with a cell not seen before is validated whole and keeps its own problem; a replay
    answers the first answer's very body."""
    s = await make_session(
        training, starts_on=days_ago(2), ends_on=days_ago(1), duration_kind="several_days"
    )
    sid, first, second = s["id"], days_ago(2), days_ago(1)
    a, b = resident_id(seq="201"), resident_id(seq="202")
    rows = [
        f"{sid},{first},全天,{a},张三,13900000001,141124100201,",
        f"{sid},{second},晚上,{a},张三,13900000001,141124100201,",  # a part never seen
        f"{sid},{first},全天,{b},李四,,141124100202,外星人",  # a category never seen
        f"{sid},{second},全天,{a},张三,13900000001,141124100201,",
        f"{sid},{first},全天,{b},李四,,141124100202,",
        f"{sid},{first},全天,{a},张三,13900000001,141124100201,",  # row 1 again
    ]
    sheet = (CSV_HEADER + "\n".join(rows) + "\n").encode()
    headers = admin() | {"Content-Type": "text/csv", "Idempotency-Key": "sheet-0002-abcdef"}
    r = await training.post("/v1/attendance/bulk", content=sheet, headers=headers)
    assert r.status_code == 200, r.text
    answer = r.json()
    outcomes = [(x["status"], x.get("field"), x.get("trainee_created")) for x in answer["results"]]
    assert outcomes == [
        ("created", None, True),
        ("rejected", "part", None),
        ("rejected", "categories.0", None),
        ("created", None, None),
        ("created", None, True),
        ("rejected", "day", None),
    ]
    assert answer["results"][1]["code"] == "invalid_part"
    assert answer["results"][5]["code"] == "day_counted_twice"
    again = await training.post("/v1/attendance/bulk", content=sheet, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == answer


async def test_yeji_subsidies_are_fixed_when_held(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    r = await training.post("/v1/subsidy-policies/presets/yeji-2017", headers=official("341504"))
    assert r.status_code == 201, r.text
    place = {"division_code": YEJI_TOWNSHIP, "address": "叶集镇"}
    half = await make_session(
        training, place=place, duration_kind="half_day", meals=True, computer_practice=True
    )
    days = await make_session(
        training,
        place=place,
        starts_on=days_ago(3),
        ends_on=days_ago(2),
        duration_kind="several_days",
        lodging=True,
    )
    for seq in ("201", "202"):
        who = person(resident_id(seq=seq, area="341504"), residence_code=YEJI_VILLAGE)
        assert (
            await _sign(training, half["id"], half["starts_on"], trainee=who)
        ).status_code == 201
        assert (await _sign(training, days["id"], days_ago(3), trainee=who)).status_code == 201
    who = person(resident_id(seq="201", area="341504"), residence_code=YEJI_VILLAGE)
    assert (
        await _sign(training, days["id"], days_ago(2), trainee=who, part="pm")
    ).status_code == 201
    for s in (half, days):
        r = await training.post(
            f"/v1/sessions/{s['id']}/status", json={"status": "held"}, headers=admin()
        )
        assert r.status_code == 200, r.text
    got = (await training.get(f"/v1/sessions/{half['id']}/subsidy", headers=admin())).json()
    assert (got["rule"], got["unit_amount"], got["total"]) == ("半天培训", "110.00", "220.00")
    got = (await training.get(f"/v1/sessions/{days['id']}/subsidy", headers=admin())).json()
    assert (got["unit"], got["total"]) == ("person_day", "500.00")  # 1.5 + 1 days × 200

    # A new version (a higher rate, adults only) leaves both sessions as they were.
    policy = (await training.get("/v1/subsidy-policies/yeji-2017", headers=admin())).json()
    policy["rules"][0]["amount"] = "80.00"
    new = {
        k: policy[k] for k in ("name", "source", "region", "valid_from", "valid_to", "rules")
    } | {"min_age": 18}
    r = await training.put(
        "/v1/subsidy-policies/yeji-2017", json=new, headers=admin() | {"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    got = (await training.get(f"/v1/sessions/{half['id']}/subsidy", headers=admin())).json()
    assert (got["policy_version"], got["total"]) == (1, "220.00")
    report = (
        await training.get(
            f"/v1/subsidies?from={days_ago(5)}&to={days_ago(0)}&division=3415", headers=admin()
        )
    ).json()
    assert report["total"] == "720.00"

    # Overlapping another policy of the region; a minor where the policy needs adults.
    clash = new | {"key": "yeji-other"}
    problem(
        await training.post("/v1/subsidy-policies", json=clash, headers=admin() | ZH),
        409,
        "policy_overlap",
        "valid_from",
    )
    later = await make_session(training, place=place, duration_kind="half_day")
    child = person(
        resident_id(birth=f"{int(days_ago(0)[:4]) - 10}0101", seq="203", area="341504"),
        residence_code=YEJI_VILLAGE,
    )
    r = await _sign(training, later["id"], later["starts_on"], trainee=child)
    problem(r, 422, "trainee_under_age", "id_number")
    assert child["id_number"] not in r.text
