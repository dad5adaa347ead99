"""The roll-ups (ADR 0033) answer what a direct count of attendance answers: after single
sign-ins (one bringing an earlier day of a participation already counted), half days, a
sheet, a correction of residence and categories, and an erasure — for the nation, provinces,
a prefecture and counties, over periods that cut through a session; and a rebuild from
attendance gives the same roll-ups."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from common.settings import async_database_url
from services.training.indicators import repository
from services.training.tallies import repository as tallies
from tests.jobs.support import waiting_for_lock
from tests.training.helpers import (
    OTHER_VILLAGE,
    TODAY,
    VILLAGE,
    YEJI_VILLAGE,
    admin,
    days_ago,
    held_sign_in,
    make_session,
    person,
    resident_id,
)

POLICY = {
    "key": "linxian-test",
    "name": "临县电商培训补助",
    "region": "141124",
    "valid_from": "2020-01-01",
    "rules": [
        {"name": "半天", "duration_kinds": ["half_day"], "unit": "person", "amount": "60.00"},
        {
            "name": "1天以上",
            "duration_kinds": ["one_day", "several_days"],
            "unit": "person_day",
            "amount": "200.00",
        },
    ],
}
PREFIXES = ["", "14", "1411", "141124", "34", "341504"]
PERIODS = [(30, 0), (5, 0), (4, 4), (6, 6), (6, 5), (1, 0)]


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


async def _sign(
    training: httpx.AsyncClient, session_id: int, day: str, who: dict[str, Any], part: str = "day"
) -> None:
    r = await training.post(
        f"/v1/sessions/{session_id}/attendance",
        json={"trainee": who, "day": day, "part": part},
        headers=admin(),
    )
    assert r.status_code == 201, r.text


async def _trainee_id(db: asyncpg.Pool, name: str) -> int:
    return int(await db.fetchval("SELECT id FROM training.trainee WHERE name = $1", name))


async def _patch(training: httpx.AsyncClient, trainee_id: int, body: dict[str, Any]) -> None:
    got = await training.get(f"/v1/trainees/{trainee_id}", headers=admin())
    r = await training.patch(
        f"/v1/trainees/{trainee_id}",
        json=body,
        headers=admin() | {"If-Match": got.headers["etag"]},
    )
    assert r.status_code == 200, r.text


async def _assert_agree(session: AsyncSession) -> None:
    for prefix in PREFIXES:
        for start, end in PERIODS:
            first, last = TODAY - timedelta(days=start), TODAY - timedelta(days=end)
            rolled = await repository.from_tallies(session, prefix, first, last)
            counted = await repository.direct(session, prefix, first, last)
            assert rolled == counted, (prefix, first, last)


TALLIES = """
SELECT 'county' AS t, to_jsonb(x) - 'pairs' - 'person_days' AS k, x.pairs, x.person_days
FROM training.county_day_tally x WHERE x.pairs <> 0 OR x.person_days <> 0
UNION ALL
SELECT 'session', to_jsonb(x.session_id), x.pairs, x.person_days FROM training.session_tally x
UNION ALL
SELECT 'activity', to_jsonb(x), 0, 0 FROM training.trainee_activity x
UNION ALL
SELECT 'village', to_jsonb(x.village), x.persons, 0 FROM training.village_tally x
WHERE x.persons <> 0
UNION ALL
SELECT 'persons', to_jsonb(x), 0, 0 FROM training.county_person_tally x
WHERE x.persons <> 0
ORDER BY 1, 2
"""


async def test_the_roll_ups_count_what_attendance_says(
    training: httpx.AsyncClient, db: asyncpg.Pool, session: AsyncSession
) -> None:
    r = await training.post("/v1/subsidy-policies", json=POLICY, headers=admin())
    assert r.status_code == 201, r.text
    several = await make_session(
        training, starts_on=days_ago(6), ends_on=days_ago(4), duration_kind="several_days"
    )
    one = await make_session(training, level="advanced", starts_on=days_ago(2), ends_on=days_ago(2))
    half = await make_session(
        training,
        level="senior",
        starts_on=days_ago(1),
        ends_on=days_ago(1),
        duration_kind="half_day",
    )
    a = person(resident_id(seq="401"), name="甲", categories=["poor_household"])
    b = person(resident_id(seq="402"), name="乙", categories=["rural_youth"])
    # After every write, not only at the end (ADR 0092: the residents ever trained are
    # counted on a trainee's first day and on their first day of each level).
    for held, day, who, part in [
        (several, 5, a, "day"),
        (several, 6, a, "day"),  # an earlier day, signed later
        (one, 2, a, "day"),  # a second level, for a trainee already counted
        (several, 4, b, "am"),
        (several, 4, b, "pm"),
    ]:
        await _sign(training, held["id"], days_ago(day), who, part)
        await _assert_agree(session)
    sheet = "\n".join(
        [
            "session_id,day,part,id_number,name,residence_code,categories",
            f"{several['id']},{days_ago(6)},day,{resident_id(seq='403')},丙,{VILLAGE},退役军人",
            f"{several['id']},{days_ago(5)},day,{resident_id(seq='404')},丁,{OTHER_VILLAGE},",
            f"{several['id']},{days_ago(4)},day,{resident_id(seq='404')},丁,{OTHER_VILLAGE},",
            f"{half['id']},{days_ago(1)},am,{resident_id(seq='404')},丁,{OTHER_VILLAGE},",
            f"{half['id']},{days_ago(1)},pm,{a['id_number']},,,",
        ]
    )
    r = await training.post(
        "/v1/attendance/bulk",
        content=sheet.encode(),
        headers=admin() | {"Content-Type": "text/csv"},
    )
    assert r.json()["counts"]["created"] == 5, r.text
    for s in (several, one):
        r = await training.post(
            f"/v1/sessions/{s['id']}/status", json={"status": "held"}, headers=admin()
        )
        assert r.status_code == 200, r.text
    await _assert_agree(session)

    # A correction: 丁 moves to 叶集 and is a poor household; 乙 is a veteran too.
    await _patch(
        training,
        await _trainee_id(db, "丁"),
        {"residence_code": YEJI_VILLAGE, "categories": ["poor_household", "veteran"]},
    )
    await _patch(training, await _trainee_id(db, "乙"), {"categories": ["rural_youth", "veteran"]})
    await _assert_agree(session)
    # An erasure changes no figure.
    erased = await _trainee_id(db, "丙")
    before = await repository.from_tallies(session, "141124", date(2000, 1, 1), TODAY)
    r = await training.post(f"/v1/trainees/{erased}/erasure", headers=admin())
    assert r.status_code == 200, r.text
    await _assert_agree(session)
    after = await repository.from_tallies(session, "141124", date(2000, 1, 1), TODAY)
    assert after == before
    assert after.people_times == 5  # 甲 ×3, 乙, 丙 (丁 moved to 叶集 with both of theirs)
    assert after.persons == 3
    assert after.subsidies_due > 0

    # The API answers from the roll-ups for a county, from attendance for a township.
    county = await training.get(
        f"/v1/indicators/training?division=141124&from={days_ago(30)}&to={days_ago(0)}",
        headers=admin(),
    )
    assert county.json()["people_times"] == 5
    township = await training.get(
        f"/v1/indicators/training?division=141124100000&from={days_ago(30)}&to={days_ago(0)}",
        headers=admin(),
    )
    assert township.json()["people_times"] == 5

    await session.rollback()  # its snapshot's locks would hold the rebuild's TRUNCATE
    kept = [tuple(r) for r in await db.fetch(TALLIES)]
    async with db.acquire() as conn:
        await tallies.rebuild(conn)
    assert [tuple(r) for r in await db.fetch(TALLIES)] == kept


async def test_the_roll_ups_leave_out_what_ineligible_trainees_would_earn(
    training: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A minor signed in before the policy asked for adults earns nothing once the session
    is held under the version that does: the roll-ups' subsidies subtract it as the direct
    count leaves it out."""
    r = await training.post("/v1/subsidy-policies", json=POLICY, headers=admin())
    assert r.status_code == 201, r.text
    day = await make_session(training, starts_on=days_ago(3), ends_on=days_ago(3))
    half = await make_session(
        training, starts_on=days_ago(2), ends_on=days_ago(2), duration_kind="half_day"
    )
    adult = person(resident_id(seq="411"), name="戊")
    minor = person(resident_id(birth=f"{TODAY.year - 10}0101", seq="412"), name="己", categories=[])
    for s in (day, half):
        for who in (adult, minor):
            await _sign(training, s["id"], s["starts_on"], who, "day" if s is day else "am")
    policy = (await training.get(f"/v1/subsidy-policies/{POLICY['key']}", headers=admin())).json()
    adults_only = {
        k: policy[k] for k in ("name", "source", "region", "valid_from", "valid_to", "rules")
    } | {"min_age": 18}
    r = await training.put(
        f"/v1/subsidy-policies/{POLICY['key']}",
        json=adults_only,
        headers=admin() | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    for s in (day, half):
        r = await training.post(
            f"/v1/sessions/{s['id']}/status", json={"status": "held"}, headers=admin()
        )
        assert r.status_code == 200, r.text
    await _assert_agree(session)
    rolled = await repository.from_tallies(session, "141124", date(2000, 1, 1), TODAY)
    assert rolled.subsidies_due == Decimal("260.00")  # the adult: a day at 200, a half at 60
    assert rolled.people_times == 4


async def test_two_writers_of_one_new_trainee_count_the_person_once(
    training: httpx.AsyncClient, db: asyncpg.Pool, session: AsyncSession
) -> None:
    """ADR 0092: a trainee's writers take turns on the trainee's row, so the second sees the
    first's committed attendance and does not count the person again. Writer A holds its
    transaction open (its attendance and roll-ups written); writer B, a sign-in through the
    API for another session, must wait for it; then both are counted once."""
    first = await make_session(training, starts_on=days_ago(3), ends_on=days_ago(3))
    second = await make_session(
        training, level="advanced", starts_on=days_ago(2), ends_on=days_ago(2)
    )
    who = person(resident_id(seq="501"), name="戊", categories=["veteran"])
    r = await training.post("/v1/trainees", json=who, headers=admin())
    assert r.status_code == 201, r.text
    trainee = int(r.json()["id"])
    day = TODAY - timedelta(days=3)
    async with db.acquire() as conn:
        writer = await held_sign_in(conn, first["id"], trainee, day)
        other = asyncio.create_task(_sign(training, second["id"], days_ago(2), who))
        await waiting_for_lock(db)
        assert not other.done()
        await writer.commit()
    await other
    everyone = await repository.from_tallies(session, "141124", date(2000, 1, 1), TODAY)
    assert everyone.persons == 1
    assert everyone.people_times == 2
    await _assert_agree(session)
