"""Training indicators in SQL: one statement per figure set (ADR 0031).

Residents are found by the ``residence_code`` index; their attendance through the two
partial unique indexes on (trainee, day) — one holds whole days and mornings, the other
whole days and afternoons — so no fourth index on the 10-million-row table is needed.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulkwrite import Database, connection_of
from common.db import RawStatement
from services.training.tallies.models import CATEGORIES
from services.training.tallies.repository import CATEGORY_COLUMNS, KINDS, MONTH_PERSONS

# Attendance of the residents in ``residents`` in the period, each row once.
ATTENDED = """
    SELECT a.trainee_id, a.session_id, a.part FROM training.attendance a
    JOIN residents r ON r.id = a.trainee_id
    WHERE a.part IN ('day', 'am') AND a.day BETWEEN :first AND :last
    UNION ALL
    SELECT a.trainee_id, a.session_id, a.part FROM training.attendance a
    JOIN residents r ON r.id = a.trainee_id
    WHERE a.part = 'pm' AND a.day BETWEEN :first AND :last
"""

INDICATORS = f"""
WITH residents AS (
    SELECT id, residence_code, categories, 'poor_household' = ANY(categories) AS poor
    FROM training.trainee WHERE residence_code LIKE :prefix
),
attended AS ({ATTENDED}),
participation AS MATERIALIZED (
    SELECT p.trainee_id, p.days, s.level, r.residence_code, r.categories, r.poor
    FROM (
        SELECT trainee_id, session_id, sum(CASE part WHEN 'day' THEN 1.0 ELSE 0.5 END) AS days
        FROM attended GROUP BY trainee_id, session_id
    ) p
    JOIN residents r ON r.id = p.trainee_id
    JOIN training.training_session s ON s.id = p.session_id
),
persons AS MATERIALIZED (
    SELECT trainee_id, min(residence_code) AS village, bool_or(poor) AS poor
    FROM participation GROUP BY trainee_id
),
villages AS MATERIALIZED (
    SELECT village, count(*) AS persons FROM persons GROUP BY village
),
committees AS MATERIALIZED (
    SELECT code FROM training.reference_division
    WHERE level = 'village' AND division_class = 'village_committee' AND until_edition IS NULL
      AND code LIKE :prefix
),
subsidy AS (
    SELECT CASE WHEN a.trainee_id = ANY(r.ineligible_trainees) THEN 0
                WHEN r.unit = 'person' THEN r.unit_amount
                ELSE r.unit_amount * sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END)
           END AS amount
    FROM training.training_session s
    JOIN training.session_subsidy r ON r.session_id = s.id
    JOIN training.attendance a ON a.session_id = s.id
    WHERE s.status = 'held' AND s.starts_on BETWEEN :first AND :last
      AND s.division_code LIKE :prefix
    GROUP BY s.id, a.trainee_id, r.ineligible_trainees, r.unit, r.unit_amount
)
SELECT
    (SELECT count(*) FROM participation) AS people_times,
    (SELECT coalesce(sum(days), 0) FROM participation) AS person_days,
    (SELECT count(*) FROM persons) AS persons,
    (SELECT count(*) FROM participation WHERE poor) AS poor_people_times,
    (SELECT count(*) FROM persons WHERE poor) AS poor_persons,
    (SELECT coalesce(jsonb_object_agg(level, jsonb_build_array(n, m)), '{{}}')
     FROM (SELECT level, count(*) AS n, count(DISTINCT trainee_id) AS m
           FROM participation GROUP BY level) x) AS by_level,
    (SELECT coalesce(jsonb_object_agg(category, jsonb_build_array(n, m)), '{{}}')
     FROM (SELECT category, count(*) AS n, count(DISTINCT trainee_id) AS m
           FROM participation, unnest(categories) AS category GROUP BY category) x) AS by_category,
    (SELECT count(*) FROM villages) AS villages_any,
    (SELECT count(*) FROM committees) AS committees,
    (SELECT count(*) FROM villages v JOIN committees c ON c.code = v.village) AS committees_trained,
    (SELECT count(*) FROM villages v JOIN committees c ON c.code = v.village
     WHERE v.persons >= 3) AS committees_three,
    (SELECT coalesce(sum(v.persons), 0) FROM villages v
     JOIN committees c ON c.code = v.village) AS committee_persons,
    (SELECT jsonb_build_object(
        'online_shop', count(*) FILTER (WHERE kind = 'online_shop'),
        'station_operator', count(*) FILTER (WHERE kind = 'station_operator'),
        'employed', count(*) FILTER (WHERE kind = 'employed'),
        'business_started', count(*) FILTER (WHERE kind = 'business_started'),
        'sales', coalesce(sum(sales_amount) FILTER (WHERE kind = 'online_sales'), 0))
     FROM training.outcome o JOIN residents r ON r.id = o.trainee_id
     WHERE o.occurred_on BETWEEN :first AND :last) AS outcomes,
    (SELECT coalesce(sum(amount), 0)::numeric(14, 2) FROM subsidy) AS subsidies_due
"""

GAPS = """
SELECT d.code, d.name FROM training.reference_division d
WHERE d.level = 'village' AND d.division_class = 'village_committee'
  AND d.until_edition IS NULL AND d.code LIKE :prefix AND d.code > :after
  AND NOT EXISTS (
      SELECT 1 FROM training.trainee_activity t
      WHERE t.residence_code = d.code AND t.attended && daterange(:first, :last, '[]')
  )
ORDER BY d.code
LIMIT :limit
"""


def params(prefix: str, first: date, last: date) -> dict[str, Any]:
    return {"prefix": prefix + "%", "first": first, "last": last}


# The same figures from the roll-ups (ADR 0033), for a nation, province, prefecture or county
# (``:prefix`` of at most six digits: the tally is per residence county). Participations
# counted on their first attended day, plus those begun before the period at sessions still
# running on its first day and attended in it (``straddling``: the sessions of a few days).
_PERIOD = "daterange(:first, :last, '[]')"
_CATEGORY_PAIRS = ", ".join(f"sum(pairs_{c}) AS pairs_{c}" for c in CATEGORIES)
_STRADDLING_PAIRS = ", ".join(
    f"CASE WHEN '{c}' = ANY(categories) THEN 1 ELSE 0 END" for c in CATEGORIES
)
_CATEGORY_TOTALS = ", ".join(f"'{c}', coalesce(sum(pairs_{c}), 0)" for c in CATEGORIES)

# Distinct persons (ADR 0097): a person counts in a period on the first month with a day in
# it — the month part whose days meet the period and whose last day before it (``prev_day``)
# is before the period's first day: exactly one part per person, so the month tallies add up.
# ``_BITS`` is the period's days within the part's month, as its mask has them (bit d-1).
_FIRST = "CAST(:first AS date)"
_LAST = "CAST(:last AS date)"
_MONTH_END = "(month + interval '1 month')::date - 1"
_BITS = f"""CASE WHEN greatest({_FIRST}, month) > least({_LAST}, {_MONTH_END}) THEN 0
    ELSE ((1::bigint << (least({_LAST}, {_MONTH_END}) - month + 1))
          - (1::bigint << (greatest({_FIRST}, month) - month)))::int END"""
_MONTHS = f"month >= date_trunc('month', {_FIRST})::date AND month <= {_LAST}"
_COUNTS = f"mask & {_BITS} <> 0 AND prev_day < {_FIRST}"
_MONTH_SUMS = ", ".join(f"sum({c}) FILTER (WHERE counts) AS {c}" for c in MONTH_PERSONS)
_PERSON_COUNTS = ", ".join(
    [
        *(
            f"'{k if k != 'all' else 'persons'}', coalesce(max(persons) FILTER (WHERE kind = '{k}'), 0)"
            for k in KINDS
        ),
        *(f"'{c}', coalesce(max(persons_{c}) FILTER (WHERE kind = 'all'), 0)" for c in CATEGORIES),
    ]
)
# A village's persons either way, whichever reads fewer rows (``pick``): the month parts of the
# period (a row per person and month), or its residents ever trained less those with no day in
# it (ADR 0092) — all before it, all after it (the indexes on the first and the last day), or
# with a gap between two days that holds it (the gaps' index): exactly one row each, so the
# persons the county tally leaves out are the rows read. The branch not taken is never run (a
# one-time filter on ``pick``).
# Subsidies due: each held session's tally at its rate, less what its ineligible trainees (too
# young under its policy) would have earned — counted for the few sessions that have any,
# which the planner finds by the array's statistics (``<> '{}'``: almost every one is empty)
# rather than running a subquery per session.
_HELD = """s.status = 'held' AND s.starts_on BETWEEN :first AND :last
      AND s.division_code LIKE :prefix"""
FROM_TALLIES = f"""
WITH months AS MATERIALIZED (
    SELECT kind, {_MONTH_SUMS}, sum(persons) AS parts
    FROM (  -- the test once a row (OFFSET 0: not copied into every sum's filter)
        SELECT kind, {", ".join(MONTH_PERSONS)}, {_COUNTS} AS counts
        FROM training.county_month_tally
        WHERE county LIKE :prefix AND {_MONTHS}
        OFFSET 0
    ) x
    GROUP BY kind
),
pick AS MATERIALIZED (
    SELECT (SELECT coalesce(sum(persons), 0) FROM training.county_person_tally
            WHERE county LIKE :prefix)
           - coalesce((SELECT persons FROM months WHERE kind = 'all'), 0)
           < coalesce((SELECT parts FROM months WHERE kind = 'all'), 0) AS subtract
),
outside AS (
    SELECT residence_code FROM training.trainee_activity
    WHERE (SELECT subtract FROM pick) AND residence_code LIKE :prefix
      AND (upper(attended) <= {_FIRST} OR lower(attended) > {_LAST})
    UNION ALL
    SELECT residence_code FROM training.trainee_gap
    WHERE (SELECT subtract FROM pick) AND residence_code LIKE :prefix AND gap @> {_PERIOD}
),
villages AS (
    SELECT v.village, v.persons - coalesce(l.persons, 0) AS persons
    FROM training.village_tally v
    LEFT JOIN (
        SELECT residence_code AS village, count(*) AS persons FROM outside GROUP BY 1
    ) l USING (village)
    WHERE (SELECT subtract FROM pick) AND v.village LIKE :prefix
      AND v.persons > coalesce(l.persons, 0)
    UNION ALL
    SELECT village, sum(persons) FROM training.village_month_tally
    WHERE NOT (SELECT subtract FROM pick) AND village LIKE :prefix AND {_MONTHS} AND {_COUNTS}
    GROUP BY village HAVING sum(persons) > 0
),
places AS MATERIALIZED (
    SELECT count(d.code) AS committees, count(v.village) AS villages_any,
           count(d.code) FILTER (WHERE v.village IS NOT NULL) AS trained,
           count(d.code) FILTER (WHERE v.persons >= 3) AS three,
           coalesce(sum(v.persons) FILTER (WHERE d.code IS NOT NULL), 0) AS persons
    FROM (
        SELECT code FROM training.reference_division
        WHERE level = 'village' AND division_class = 'village_committee'
          AND until_edition IS NULL AND code LIKE :prefix
    ) d
    FULL JOIN villages v ON v.village = d.code
),
straddling AS (
    SELECT s.level, p.categories
    FROM training.training_session s
    JOIN training.attendance a ON a.session_id = s.id
    JOIN training.trainee p ON p.id = a.trainee_id
    WHERE daterange(s.starts_on, s.ends_on, '[]') @> CAST(:first AS date)
      AND s.starts_on < :first AND p.residence_code LIKE :prefix
    GROUP BY a.session_id, a.trainee_id, s.level, p.categories
    HAVING min(a.day) < :first AND bool_or(a.day BETWEEN :first AND :last)
),
levels AS MATERIALIZED (
    SELECT level, sum(pairs) AS pairs, sum(person_days) AS person_days, {_CATEGORY_PAIRS}
    FROM (
        SELECT level, pairs, person_days, {CATEGORY_COLUMNS} FROM training.county_day_tally
        WHERE county LIKE :prefix AND day BETWEEN :first AND :last
        UNION ALL
        SELECT level, 1, 0, {_STRADDLING_PAIRS} FROM straddling
    ) x GROUP BY level
),
subsidy AS (
    SELECT r.unit_amount * CASE r.unit WHEN 'person' THEN t.pairs - coalesce(x.pairs, 0)
                                       ELSE t.person_days - coalesce(x.days, 0) END AS amount
    FROM training.training_session s
    JOIN training.session_subsidy r ON r.session_id = s.id
    JOIN training.session_tally t ON t.session_id = s.id
    LEFT JOIN (
        SELECT a.session_id, count(DISTINCT a.trainee_id) AS pairs,
               sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END) AS days
        FROM training.training_session s
        JOIN training.session_subsidy i ON i.session_id = s.id
        JOIN training.attendance a
          ON a.session_id = s.id AND a.trainee_id = ANY(i.ineligible_trainees)
        WHERE i.ineligible_trainees <> '{{}}' AND {_HELD}
        GROUP BY a.session_id
    ) x ON x.session_id = s.id
    WHERE {_HELD}
)
SELECT
    (SELECT coalesce(sum(pairs), 0) FROM levels) AS people_times,
    (SELECT coalesce(sum(person_days), 0) FROM levels) AS person_days,
    (SELECT coalesce(sum(pairs_poor_household), 0) FROM levels) AS poor_people_times,
    (SELECT coalesce(jsonb_object_agg(level, pairs), '{{}}') FROM levels) AS level_pairs,
    (SELECT jsonb_build_object({_CATEGORY_TOTALS}) FROM levels) AS category_pairs,
    (SELECT jsonb_build_object({_PERSON_COUNTS}) FROM months) AS person_counts,
    (SELECT villages_any FROM places) AS villages_any,
    (SELECT committees FROM places) AS committees,
    (SELECT trained FROM places) AS committees_trained,
    (SELECT three FROM places) AS committees_three,
    (SELECT persons FROM places) AS committee_persons,
    (SELECT jsonb_build_object(
        'online_shop', count(*) FILTER (WHERE kind = 'online_shop'),
        'station_operator', count(*) FILTER (WHERE kind = 'station_operator'),
        'employed', count(*) FILTER (WHERE kind = 'employed'),
        'business_started', count(*) FILTER (WHERE kind = 'business_started'),
        'sales', coalesce(sum(sales_amount) FILTER (WHERE kind = 'online_sales'), 0))
     FROM training.outcome o JOIN training.trainee p ON p.id = o.trainee_id
     WHERE p.residence_code LIKE :prefix AND o.occurred_on BETWEEN :first AND :last) AS outcomes,
    (SELECT coalesce(sum(amount), 0)::numeric(14, 2) FROM subsidy) AS subsidies_due,
    (SELECT subtract FROM pick) AS by_subtraction
"""


@dataclass(frozen=True, slots=True)
class Figures:
    """One division's figures, whichever statement counted them."""

    people_times: int
    person_days: Decimal
    persons: int
    poor_people_times: int
    poor_persons: int
    by_level: dict[str, list[int]]
    by_category: dict[str, list[int]]
    villages_any: int
    committees: int
    committees_trained: int
    committees_three: int
    committee_persons: int
    outcomes: dict[str, Any]
    subsidies_due: Decimal


def _pairs_and_persons(pairs: dict[str, int], persons: dict[str, int]) -> dict[str, list[int]]:
    """As the direct statement names them: those with a participation in the period."""
    return {k: [int(n), persons[k]] for k, n in pairs.items() if n > 0}


# Without JIT compilation (ADR 0035): above ``jit_above_cost`` a province's statement
# compiled for longer than it ran (山西: 0.53 s of 0.98 s; 0.24 s without), the nation's gained
# nothing measurable, and a prefecture or county stays below it anyway. And planned for its
# parameters every time (ADR 0097): after five runs of a prepared statement PostgreSQL may keep
# a generic plan, made for an unknown ``LIKE`` and period — on a pooled connection that had
# served the nation, a county then took 350 ms instead of 11.
PLAN_SETTINGS = (
    "SELECT set_config('jit', 'off', true),"
    " set_config('plan_cache_mode', 'force_custom_plan', true)"
)


_FROM_TALLIES = RawStatement(text(FROM_TALLIES))


async def _from_driver(driver: asyncpg.Connection, prefix: str, first: date, last: date) -> Any:
    async with driver.transaction():
        await driver.execute(PLAN_SETTINGS)
        return await _FROM_TALLIES.fetchrow(driver, **params(prefix, first, last))


async def _in_transaction(session: AsyncSession, prefix: str, first: date, last: date) -> Any:
    await session.execute(text(PLAN_SETTINGS))
    row = (await session.execute(text(FROM_TALLIES), params(prefix, first, last))).one()
    return row._mapping


async def _on_session(session: AsyncSession, prefix: str, first: date, last: date) -> Any:
    conn = await session.connection()
    if conn.sync_connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        # A read session: the settings need a transaction of their own (SQLAlchemy opens
        # none in autocommit), opened on the driver, and the statement runs there too, with
        # neither SQLAlchemy's execution nor its result objects (``common.db.RawStatement``).
        pooled = await conn.get_raw_connection()
        driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]
        row = await _from_driver(driver, prefix, first, last)
    else:  # a write's or a test's transaction: the settings last to its end
        row = await _in_transaction(session, prefix, first, last)
    return row


async def from_tallies(db: Database, prefix: str, first: date, last: date) -> Figures:
    if isinstance(db, asyncpg.Connection):  # one of the pool's, outside any transaction
        row = await _from_driver(db, prefix, first, last)
    else:
        row = await _on_session(db, prefix, first, last)
    counts = row["person_counts"]
    return Figures(
        people_times=int(row["people_times"]),
        person_days=row["person_days"],
        persons=counts["persons"],
        poor_people_times=int(row["poor_people_times"]),
        poor_persons=counts["poor_household"],
        by_level=_pairs_and_persons(row["level_pairs"], counts),
        by_category=_pairs_and_persons(row["category_pairs"], counts),
        villages_any=row["villages_any"],
        committees=row["committees"],
        committees_trained=row["committees_trained"],
        committees_three=row["committees_three"],
        committee_persons=int(row["committee_persons"]),
        outcomes=row["outcomes"],
        subsidies_due=row["subsidies_due"],
    )


_INDICATORS = RawStatement(text(INDICATORS))


async def direct(db: Database, prefix: str, first: date, last: date) -> Figures:
    """The figures counted from attendance itself: a township's (the roll-ups are per
    county), and the independent count the roll-ups are tested against."""
    row = await _INDICATORS.fetchrow(await connection_of(db), **params(prefix, first, last))
    assert row is not None  # one row of aggregates, whatever is held
    # Its columns are the figures, by name; the committees' persons are summed as numeric.
    figures = {f.name: row[f.name] for f in fields(Figures)}
    return Figures(**figures | {"committee_persons": int(row["committee_persons"])})


async def indicators(db: Database, prefix: str, first: date, last: date) -> Figures:
    if len(prefix) <= 6:
        return await from_tallies(db, prefix, first, last)
    return await direct(db, prefix, first, last)


async def gaps(
    session: AsyncSession, prefix: str, first: date, last: date, after: str, limit: int
) -> list[Any]:
    values = params(prefix, first, last) | {"after": after, "limit": limit + 1}
    return list(await session.execute(text(GAPS), values))


# The same counts per village for a batch of villages (a station's record, the gateway's gap
# lists): residents found by ``residence_code = ANY(…)``, the residence index.
VILLAGES = f"""
WITH residents AS (
    SELECT id, residence_code, categories, 'poor_household' = ANY(categories) AS poor
    FROM training.trainee WHERE residence_code = ANY(:codes)
),
attended AS ({ATTENDED}),
participation AS MATERIALIZED (
    SELECT DISTINCT a.trainee_id, a.session_id, r.residence_code, r.categories, r.poor
    FROM attended a JOIN residents r ON r.id = a.trainee_id
),
categories AS (
    SELECT residence_code, jsonb_object_agg(category, jsonb_build_array(n, m)) AS by_category
    FROM (SELECT residence_code, category, count(*) AS n, count(DISTINCT trainee_id) AS m
          FROM participation, unnest(categories) AS category
          GROUP BY residence_code, category) x
    GROUP BY residence_code
)
SELECT p.residence_code AS code, count(*) AS people_times,
       count(DISTINCT p.trainee_id) AS persons,
       count(*) FILTER (WHERE p.poor) AS poor_household_people_times,
       coalesce(min(c.by_category::text), '{{}}')::jsonb AS by_category
FROM participation p LEFT JOIN categories c USING (residence_code)
GROUP BY p.residence_code
ORDER BY p.residence_code
"""


async def villages(session: AsyncSession, codes: list[str], first: date, last: date) -> list[Any]:
    values = {"codes": codes, "first": first, "last": last}
    return list(await session.execute(text(VILLAGES), values))


# The same statement for one village's record (ADR 0076), on the asyncpg connection of
# ``common.db.read_connection``.
_VILLAGES = RawStatement(text(VILLAGES))


async def read_villages(
    conn: asyncpg.Connection, codes: list[str], first: date, last: date
) -> list[asyncpg.Record]:
    """``villages`` on an asyncpg connection: records with the same names."""
    return await _VILLAGES.fetch(conn, codes=codes, first=first, last=last)
