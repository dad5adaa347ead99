"""A sign-in sheet read, judged and written in parts (ADR 0099) answers as one upload: a
person registered by a row of a later part than their first, the same half day listed in
two parts, bad rows in a later part, rows held already beside new ones in a part, the
roll-ups as a rebuild makes them; and a problem with the body found in a later part
leaves nothing written."""

from typing import Any

import asyncpg
import httpx
import pytest

from services.training.attendance import bulk
from services.training.tallies import repository as tallies
from tests.training.helpers import (
    OTHER_VILLAGE,
    VILLAGE,
    admin,
    days_ago,
    make_session,
    resident_id,
)
from tests.training.test_tallies import TALLIES

CSV_HEADER = "培训班编号,日期,时段,身份证号,姓名,手机,居住村代码,人员类别\n"
CSV = admin() | {"Content-Type": "text/csv"}


@pytest.fixture(autouse=True)
def parts_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "PART_ROWS", 2)


def _sheet(rows: list[str]) -> bytes:
    return (CSV_HEADER + "\n".join(rows) + "\n").encode("utf-8")


def _outcomes(answer: dict[str, Any]) -> list[tuple[str, str | None, bool]]:
    return [
        (r["status"], r.get("code"), r.get("trainee_created", False)) for r in answer["results"]
    ]


async def test_a_sheet_in_parts_answers_as_one_upload(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    several = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(1), duration_kind="several_days"
    )
    one = await make_session(training, level="advanced", starts_on=days_ago(2), ends_on=days_ago(2))
    s, o = several["id"], one["id"]
    a, b, c = resident_id(seq="201"), resident_id(seq="202"), resident_id(seq="203")
    rows = [
        f"{s},{days_ago(3)},全天,{a},,,,",  # A is new: registered by row 4
        f"{s},{days_ago(3)},全天,{b},李四,,{VILLAGE},农村青年",
        f"{s},{days_ago(2)},全天,{b},李四,,{VILLAGE},农村青年",
        f"{s},{days_ago(2)},上午,{a},张三,13900000001,{OTHER_VILLAGE},",
        f"{s},{days_ago(3)},上午,{b},李四,,{VILLAGE},",  # B's morning of row 2, again
        f"{s},{days_ago(9)},全天,{b},李四,,{VILLAGE},",  # outside the session
        f"{s},{days_ago(1)},全天,{c},,,,",  # C is never registered
        f"{o},{days_ago(2)},全天,{b},李四,,{VILLAGE},",  # B's day of row 3, another session
    ]
    sheet = _sheet(rows)
    expected = [
        ("created", None, True),
        ("created", None, True),
        ("created", None, False),
        ("created", None, False),
        ("rejected", "day_counted_twice", False),
        ("rejected", "outside_session_dates", False),
        ("rejected", "trainee_details_required", False),
        ("rejected", "day_counted_twice", False),
    ]
    dry = await training.post("/v1/attendance/bulk?dry_run=true", content=sheet, headers=CSV)
    assert dry.status_code == 200, dry.text
    assert _outcomes(dry.json()) == expected
    assert await db.fetchval("SELECT count(*) FROM training.attendance") == 0
    assert await db.fetchval("SELECT count(*) FROM training.trainee") == 0

    r = await training.post("/v1/attendance/bulk", content=sheet, headers=CSV)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert _outcomes(answer) == expected
    assert answer["counts"] == dry.json()["counts"]
    assert answer["counts"]["trainees_created"] == 2
    results = answer["results"]
    assert results[0]["trainee_id"] == results[3]["trainee_id"]
    assert await db.fetchval("SELECT count(*) FROM training.trainee") == 2
    assert await db.fetchval("SELECT count(*) FROM training.attendance") == 4

    # Rows held already beside a new one in each part: the new ones are created, the
    # others unchanged or counted twice, as a single upload answers them.
    again = _sheet([rows[0], f"{s},{days_ago(1)},全天,{a},,,,", rows[1], rows[3], rows[4], rows[7]])
    r = await training.post("/v1/attendance/bulk", content=again, headers=CSV)
    assert _outcomes(r.json()) == [
        ("unchanged", None, False),
        ("created", None, False),
        ("unchanged", None, False),
        ("unchanged", None, False),
        ("rejected", "day_counted_twice", False),
        ("rejected", "day_counted_twice", False),
    ]
    assert await db.fetchval("SELECT count(*) FROM training.attendance") == 5

    kept = [tuple(r) for r in await db.fetch(TALLIES)]
    assert kept
    async with db.acquire() as conn:
        await tallies.rebuild(conn)
    assert [tuple(r) for r in await db.fetch(TALLIES)] == kept


async def test_a_bad_body_found_in_a_later_part_writes_nothing(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    s = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(1), duration_kind="several_days"
    )
    rows = [
        f"{s['id']},{days_ago(d)},全天,{resident_id(seq=f'30{d}')},王{d},,{VILLAGE},"
        for d in (1, 2, 3)
    ]
    r = await training.post(
        "/v1/attendance/bulk", content=_sheet([*rows, f'{s["id"]},"{days_ago(1)}']), headers=CSV
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "bad_csv"
    assert await db.fetchval("SELECT count(*) FROM training.trainee") == 0
    assert await db.fetchval("SELECT count(*) FROM training.attendance") == 0
    assert await db.fetchval("SELECT count(*) FROM training.session_tally") == 0

    # JSON in parts: the same rows, written.
    sheet = [
        {"session_id": s["id"], "day": days_ago(d), "id_number": resident_id(seq=f"30{d}"),
         "name": f"王{d}", "residence_code": VILLAGE}
        for d in (1, 2, 3)
    ]  # fmt: skip
    r = await training.post("/v1/attendance/bulk", json=sheet, headers=admin())
    assert r.json()["counts"]["created"] == 3
    assert await db.fetchval("SELECT pairs FROM training.session_tally") == 3
