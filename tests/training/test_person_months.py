"""The persons of a period from the month tallies (ADR 0097) are those the direct count over
attendance finds, whichever way a village's persons are counted (the month parts, or the
residents ever trained less those with no day in the period): for periods that cut through
a person's attendance — before, inside and after it, inside a gap, across a month's end —
per level and category, after a late earlier day, a correction and an erasure; and a
rebuild gives the same month tallies."""

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from common.settings import async_database_url
from services.training.indicators import repository
from services.training.tallies import repository as tallies
from tests.jobs.support import waiting_for_lock
from tests.training.helpers import (
    OTHER_VILLAGE,
    TODAY,
    YEJI_VILLAGE,
    admin,
    held_sign_in,
    make_session,
    person,
    resident_id,
)

# The nation, a county and another province (a province with data here is its county's
# figures: the statement does not tell one kind of prefix from another).
PREFIXES = ["", "141124", "34"]
_PICK = re.compile(r"pick AS MATERIALIZED \(.*?\),\noutside AS", re.S)


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


@pytest.fixture
async def reader(database_url: str) -> AsyncIterator[AsyncSession]:
    """A read session as the app's: autocommit (the statement runs on the driver)."""
    engine = create_async_engine(async_database_url(database_url), isolation_level="AUTOCOMMIT")
    try:
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


def _month_start(day: date, back: int = 0) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - back, 12)
    return date(year, month + 1, 1)


def _periods(days: list[date]) -> list[tuple[date, date]]:
    """Every month and quarter from the first day's to today's, the years, the whole span,
    single days and two-day periods on and around each day attended, and the periods
    between two days attended (inside a gap); each once."""
    return list(dict.fromkeys(_each_period(days)))


def _each_period(days: list[date]) -> Iterator[tuple[date, date]]:
    first, last = min(days), TODAY
    yield first, last
    yield date(2000, 1, 1), last
    month = _month_start(first)
    while month <= last:
        yield month, _month_start(month, -1) - timedelta(days=1)
        yield month, _month_start(month, -3) - timedelta(days=1)
        month = _month_start(month, -1)
    for year in range(first.year, last.year + 1):
        yield date(year, 1, 1), date(year, 12, 31)
    for d in sorted(set(days)):
        for shift in (-1, 0, 1):
            yield d + timedelta(days=shift), d + timedelta(days=shift)
            yield d + timedelta(days=shift), d + timedelta(days=shift + 1)
    ordered = sorted(set(days))
    for a, b in pairwise(ordered):
        if (b - a).days > 1:
            yield a + timedelta(days=1), b - timedelta(days=1)
            yield a, b - timedelta(days=1)
            yield a + timedelta(days=1), b


async def _assert_agree(
    session: AsyncSession,
    reader: AsyncSession,
    days: list[date],
    monkeypatch: pytest.MonkeyPatch,
) -> set[bool]:
    """Each period's figures equal the direct count: as a read session counts them (the
    statement as the app runs it, on the driver) and counted each way in a transaction (the
    statement with ``pick`` forced; as it stands it takes one of the two). Which way ``pick``
    takes is read until both have been seen, and returned."""
    statement = repository.FROM_TALLIES
    forced = {
        subtract: _PICK.sub(
            f"pick AS MATERIALIZED (SELECT {subtract} AS subtract),\noutside AS", statement
        )
        for subtract in (True, False)
    }
    assert statement not in forced.values()
    picked: set[bool] = set()
    for prefix in PREFIXES:
        for first, last in _periods(days):
            counted = await repository.direct(session, prefix, first, last)
            assert await repository.from_tallies(reader, prefix, first, last) == counted
            for subtract, variant in forced.items():
                monkeypatch.setattr(repository, "FROM_TALLIES", variant)
                rolled = await repository.from_tallies(session, prefix, first, last)
                monkeypatch.setattr(repository, "FROM_TALLIES", statement)
                assert rolled == counted, (prefix, first, last, subtract)
            if len(picked) < 2:
                row = await session.execute(text(statement), repository.params(prefix, first, last))
                picked.add(row.one().by_subtraction)
    return picked


async def _sign(
    training: httpx.AsyncClient, held: dict[str, Any], day: date, who: dict[str, Any]
) -> None:
    part = "am" if held["duration_kind"] == "half_day" else "day"
    r = await training.post(
        f"/v1/sessions/{held['id']}/attendance",
        json={"trainee": who, "day": day.isoformat(), "part": part},
        headers=admin(),
    )
    assert r.status_code == 201, r.text


MONTH_TALLIES = """
SELECT 'village' AS t, to_jsonb(x) AS k FROM training.village_month_tally x WHERE persons <> 0
UNION ALL
SELECT 'county', to_jsonb(x) FROM training.county_month_tally x WHERE persons <> 0
UNION ALL
SELECT 'gap', to_jsonb(x) FROM training.trainee_gap x
ORDER BY 1, 2
"""


async def test_the_month_tallies_count_any_period_as_attendance_does(
    training: httpx.AsyncClient,
    db: asyncpg.Pool,
    session: AsyncSession,
    reader: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Days over more than a year; a three-day session across a month's end.
    month_end = _month_start(TODAY, 4) - timedelta(days=1)
    plan = {
        "old": (TODAY - timedelta(days=400), "basic", "one_day"),
        "mid": (TODAY - timedelta(days=200), "senior", "one_day"),
        "across": (month_end - timedelta(days=1), "advanced", "several_days"),
        "gap_a": (TODAY - timedelta(days=40), "basic", "one_day"),
        "gap_b": (TODAY - timedelta(days=35), "incubation", "half_day"),
        "recent": (TODAY - timedelta(days=5), "basic", "one_day"),
    }
    held: dict[str, dict[str, Any]] = {}
    for name, (start, level, kind) in plan.items():
        end = start + timedelta(days=2) if kind == "several_days" else start
        held[name] = await make_session(
            training,
            level=level,
            starts_on=start.isoformat(),
            ends_on=end.isoformat(),
            duration_kind=kind,
        )
    a = person(resident_id(seq="601"), name="子", categories=["poor_household", "veteran"])
    b = person(resident_id(seq="602"), name="丑", categories=["rural_youth"])
    c = person(resident_id(seq="603"), name="寅", residence_code=OTHER_VILLAGE, categories=[])
    d = person(resident_id(seq="604"), name="卯", residence_code=YEJI_VILLAGE, categories=[])
    across = date.fromisoformat(held["across"]["starts_on"])
    signs = [
        # 子: before, long gap, a day in the middle, then recent; a later sheet of an earlier day
        ("recent", TODAY - timedelta(days=5), a),
        ("old", TODAY - timedelta(days=400), a),
        ("mid", TODAY - timedelta(days=200), a),
        # 丑: the days across a month's end, then a gap, then two recent ones
        ("across", across + timedelta(days=2), b),
        ("across", across, b),
        ("gap_a", TODAY - timedelta(days=40), b),
        ("gap_b", TODAY - timedelta(days=35), b),
        # 寅: only the middle of the three days
        ("across", across + timedelta(days=1), c),
        ("gap_b", TODAY - timedelta(days=35), c),
        # 卯 (another province): old and recent
        ("old", TODAY - timedelta(days=400), d),
        ("recent", TODAY - timedelta(days=5), d),
    ]
    days: list[date] = []
    picked: set[bool] = set()
    for name, day, who in signs:
        await _sign(training, held[name], day, who)
        days.append(day)
    picked |= await _assert_agree(session, reader, days, monkeypatch)
    # Both ways were taken for some period (the check is not of one branch only).
    assert picked == {True, False}

    # A correction of residence and categories moves the person's months.
    trainee = await db.fetchval("SELECT id FROM training.trainee WHERE name = '丑'")
    got = await training.get(f"/v1/trainees/{trainee}", headers=admin())
    r = await training.patch(
        f"/v1/trainees/{trainee}",
        json={"residence_code": YEJI_VILLAGE, "categories": ["poor_household"]},
        headers=admin() | {"If-Match": got.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    await _assert_agree(session, reader, days, monkeypatch)
    # An erasure changes no figure.
    erased = await db.fetchval("SELECT id FROM training.trainee WHERE name = '子'")
    before = await repository.from_tallies(session, "", min(days), TODAY)
    r = await training.post(f"/v1/trainees/{erased}/erasure", headers=admin())
    assert r.status_code == 200, r.text
    await _assert_agree(session, reader, days, monkeypatch)
    assert await repository.from_tallies(session, "", min(days), TODAY) == before

    await session.rollback()
    kept = [tuple(r) for r in await db.fetch(MONTH_TALLIES)]
    async with db.acquire() as conn:
        await tallies.rebuild(conn)
    assert [tuple(r) for r in await db.fetch(MONTH_TALLIES)] == kept
    # Every trainee's gaps again from their activity (as a benchmark taking back its days
    # does, bench.training_data.forget_sessions): the same gaps.
    async with db.acquire() as conn:
        everyone = [
            r[0] for r in await conn.fetch("SELECT trainee_id FROM training.trainee_activity")
        ]
        await conn.execute("DELETE FROM training.trainee_gap")
        await tallies.regap(conn, everyone)
    assert [tuple(r) for r in await db.fetch(MONTH_TALLIES)] == kept


async def test_two_writers_of_one_trainee_in_two_months_count_each_month_once(
    training: httpx.AsyncClient,
    db: asyncpg.Pool,
    session: AsyncSession,
    reader: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writer A signs a trainee in for a day this month and holds its transaction open; writer
    B, a sign-in through the API for a day two months earlier (the later month's last day
    before it changes), waits on the trainee's row, then reads A's days: the month parts
    and gaps are those of both days."""
    late = TODAY - timedelta(days=1)
    early = _month_start(TODAY, 2) + timedelta(days=9)
    first = await make_session(training, starts_on=late.isoformat(), ends_on=late.isoformat())
    second = await make_session(
        training, level="advanced", starts_on=early.isoformat(), ends_on=early.isoformat()
    )
    who = person(resident_id(seq="701"), name="辰", categories=["veteran"])
    r = await training.post("/v1/trainees", json=who, headers=admin())
    assert r.status_code == 201, r.text
    trainee = int(r.json()["id"])
    async with db.acquire() as conn:
        writer = await held_sign_in(conn, first["id"], trainee, late)
        other = asyncio.create_task(_sign(training, second, early, who))
        await waiting_for_lock(db)
        assert not other.done()
        await writer.commit()
    await other
    assert await db.fetchval("SELECT count(*) FROM training.trainee_gap") == 1
    months = await db.fetch(
        "SELECT month, prev_day FROM training.village_month_tally WHERE persons <> 0 ORDER BY 1"
    )
    assert [(m["month"], m["prev_day"]) for m in months] == [
        (_month_start(early), date.min),  # '-infinity': no day before
        (_month_start(late), early),
    ]
    await _assert_agree(session, reader, [early, late], monkeypatch)
