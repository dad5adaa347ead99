"""The issue's list of bad input, one case each: a specific 4xx problem (or per-row result) with
its code and field, in Chinese when asked, never echoing an ID number in clear."""

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.training.helpers import (
    COUNTY,
    ZH,
    admin,
    days_ago,
    make_session,
    person,
    problem,
    resident_id,
    session_body,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
GOOD = resident_id(seq="301")
WRONG_CHECK = GOOD[:-1] + ("1" if GOOD[-1] == "0" else "0")
IMPOSSIBLE_BIRTH = resident_id("19900230", seq="302")  # 30 February
CHILD = resident_id(f"{int(days_ago(0)[:4]) - 10}0101", seq="303")
ADULTS_ONLY = {
    "key": "linxian-adults",
    "name": "临县电商培训补助(成年人)",
    "region": COUNTY,
    "valid_from": "2020-01-01",
    "min_age": 18,
    "rules": [{"name": "1天", "duration_kinds": ["one_day"], "unit": "person", "amount": "100.00"}],
}


def _chinese_without_number(r: httpx.Response, body: dict[str, Any]) -> None:
    assert CJK.search(body["detail"]), body
    for number in (GOOD, WRONG_CHECK, IMPOSSIBLE_BIRTH, CHILD):
        assert number not in r.text


async def _sign(
    training: httpx.AsyncClient, session_id: int, day: str, number: str = GOOD, **extra: Any
) -> httpx.Response:
    return await training.post(
        f"/v1/sessions/{session_id}/attendance",
        json={"trainee": person(number), "day": day, **extra},
        headers=admin() | ZH,
    )


async def _wrong_checksum(training: httpx.AsyncClient) -> httpx.Response:
    return await training.post("/v1/trainees", json=person(WRONG_CHECK), headers=admin() | ZH)


async def _impossible_birth(training: httpx.AsyncClient) -> httpx.Response:
    return await training.post("/v1/trainees", json=person(IMPOSSIBLE_BIRTH), headers=admin() | ZH)


async def _minor(training: httpx.AsyncClient) -> httpx.Response:
    r = await training.post("/v1/subsidy-policies", json=ADULTS_ONLY, headers=admin())
    assert r.status_code == 201, r.text
    s = await make_session(training)
    return await _sign(training, s["id"], s["starts_on"], CHILD)


async def _residence_not_village(training: httpx.AsyncClient) -> httpx.Response:
    body = person(residence_code="141124100000")  # 临泉镇: a township
    return await training.post("/v1/trainees", json=body, headers=admin() | ZH)


async def _cancelled(training: httpx.AsyncClient) -> httpx.Response:
    s = await make_session(training)
    r = await training.post(
        f"/v1/sessions/{s['id']}/status", json={"status": "cancelled"}, headers=admin()
    )
    assert r.status_code == 200, r.text
    return await _sign(training, s["id"], s["starts_on"])


async def _future(training: httpx.AsyncClient) -> httpx.Response:
    s = await make_session(training, starts_on=days_ago(-3), ends_on=days_ago(-3))
    return await _sign(training, s["id"], s["starts_on"])


async def _outside_dates(training: httpx.AsyncClient) -> httpx.Response:
    s = await make_session(training)
    return await _sign(training, s["id"], days_ago(5))


async def _counted_twice(training: httpx.AsyncClient) -> httpx.Response:
    one = await make_session(training)
    other = await make_session(training)
    assert (await _sign(training, one["id"], one["starts_on"])).status_code == 201
    return await _sign(training, other["id"], other["starts_on"], part="am")


async def _ends_before_start(training: httpx.AsyncClient) -> httpx.Response:
    body = session_body(starts_on=days_ago(1), ends_on=days_ago(2))
    return await training.post("/v1/sessions", json=body, headers=admin() | ZH)


async def _overlapping_policy(training: httpx.AsyncClient) -> httpx.Response:
    r = await training.post("/v1/subsidy-policies", json=ADULTS_ONLY, headers=admin())
    assert r.status_code == 201, r.text
    clash = ADULTS_ONLY | {"key": "linxian-other", "valid_from": "2024-01-01"}
    return await training.post("/v1/subsidy-policies", json=clash, headers=admin() | ZH)


CASES: dict[str, tuple[Callable[[httpx.AsyncClient], Awaitable[httpx.Response]], int, str, str]] = {
    "wrong ID checksum": (_wrong_checksum, 422, "resident_id_checksum", "id_number"),
    "impossible birth date": (_impossible_birth, 422, "resident_id_birth_date", "id_number"),
    "minor where the policy needs adults": (_minor, 422, "trainee_under_age", "id_number"),
    "residence not a village": (
        _residence_not_village,
        422,
        "residence_not_village",
        "residence_code",
    ),
    "cancelled session": (_cancelled, 409, "session_cancelled", "session_id"),
    "future session": (_future, 422, "future_attendance", "day"),
    "outside the session's dates": (_outside_dates, 422, "outside_session_dates", "day"),
    "a day counted twice": (_counted_twice, 409, "day_counted_twice", "day"),
    "session ending before it starts": (_ends_before_start, 422, "ends_before_start", "ends_on"),
    "overlapping subsidy policies": (_overlapping_policy, 409, "policy_overlap", "valid_from"),
}


@pytest.mark.parametrize("case", CASES)
async def test_each_bad_input(training: httpx.AsyncClient, case: str) -> None:
    send, status, code, field = CASES[case]
    r = await send(training)
    _chinese_without_number(r, problem(r, status, code, field))


async def test_each_bad_row_of_a_sheet(training: httpx.AsyncClient) -> None:
    """The attendance rules once more, as rows of one sheet, each answering for itself."""
    r = await training.post("/v1/subsidy-policies", json=ADULTS_ONLY, headers=admin())
    assert r.status_code == 201, r.text
    s = await make_session(training)
    other = await make_session(training)
    cancelled = await make_session(training)
    await training.post(
        f"/v1/sessions/{cancelled['id']}/status", json={"status": "cancelled"}, headers=admin()
    )
    future = await make_session(training, starts_on=days_ago(-3), ends_on=days_ago(-3))
    day = s["starts_on"]
    rows: list[dict[str, Any]] = [
        {"session_id": s["id"], "day": day, "id_number": GOOD, "name": "王小甲",
         "residence_code": "141124100201"},
        {"session_id": other["id"], "day": day, "part": "pm", "id_number": GOOD},
        {"session_id": cancelled["id"], "day": day, "id_number": GOOD},
        {"session_id": future["id"], "day": future["starts_on"], "id_number": GOOD},
        {"session_id": s["id"], "day": days_ago(9), "id_number": GOOD},
        {"session_id": s["id"], "day": day, "id_number": CHILD, "name": "王小乙",
         "residence_code": "141124100201"},
        {"session_id": s["id"], "day": day, "id_number": WRONG_CHECK, "name": "王小丙",
         "residence_code": "141124100201"},
        {"session_id": s["id"], "day": day, "id_number": IMPOSSIBLE_BIRTH, "name": "王小丁",
         "residence_code": "141124100201"},
        {"session_id": s["id"], "day": day, "id_number": resident_id(seq="304"), "name": "王小戊",
         "residence_code": "141124100000"},
    ]  # fmt: skip
    r = await training.post("/v1/attendance/bulk", json=rows, headers=admin() | ZH)
    assert r.status_code == 200, r.text
    got = [(x.get("code"), x.get("field")) for x in r.json()["results"]]
    assert got == [
        (None, None),
        ("day_counted_twice", "day"),
        ("session_cancelled", "session_id"),
        ("future_attendance", "day"),
        ("outside_session_dates", "day"),
        ("trainee_under_age", "id_number"),
        ("resident_id_checksum", "id_number"),
        ("resident_id_birth_date", "id_number"),
        ("residence_not_village", "residence_code"),
    ]
    for result in r.json()["results"][1:]:
        assert CJK.search(result["message"]), result
    for number in (GOOD, WRONG_CHECK, IMPOSSIBLE_BIRTH, CHILD):
        assert number not in r.text


async def test_a_morning_and_an_afternoon_of_one_session(training: httpx.AsyncClient) -> None:
    """Two halves of one day of a session are two sign-ins, both kept (the key takes the
    part); the same half again is unchanged; the whole day on top is counted twice."""
    s = await make_session(training)
    day = s["starts_on"]
    assert (await _sign(training, s["id"], day, part="am")).json()["outcome"] == "created"
    assert (await _sign(training, s["id"], day, part="pm")).json()["outcome"] == "created"
    assert (await _sign(training, s["id"], day, part="pm")).json()["outcome"] == "unchanged"
    problem(await _sign(training, s["id"], day, part="day"), 409, "day_counted_twice", "day")
    counts = (await training.get(f"/v1/sessions/{s['id']}/counts", headers=admin())).json()
    assert (counts["people"], counts["person_days"], counts["attendance_rows"]) == (1, 1.0, 2)
    page = await training.get(f"/v1/sessions/{s['id']}/attendance?limit=1", headers=admin())
    following = await training.get(page.json()["next"].removeprefix("http://test"), headers=admin())
    assert following.status_code == 200, following.text
    assert [a["part"] for a in page.json()["items"] + following.json()["items"]] == ["am", "pm"]
