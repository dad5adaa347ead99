"""Keeping the roll-ups (ADR 0033) in step with attendance, in the writer's transaction.

Attendance only grows (an erasure keeps it), so a write adds to the roll-ups: person-days on
the days attended; a participation (trainee × session) on its first attended day — and when
a late sheet brings an earlier day of a participation already counted, it moves there (−1 on
the old first day, +1 on the new); the days attended to the trainee's multiranges. A change
of a trainee's residence or categories takes the trainee's participations out under the old
ones and puts them back under the new. The insert and its roll-ups are one statement
(``counted``), which reads attendance and activity as they were before its rows. Writers of
one session's attendance take the session's row lock first (``lock_sessions``), so two of
them never both count a participation as new; the multiranges are unions, which commute.

The residents ever trained (ADR 0092) are counted when a trainee's first attendance, or
first of a level, is written: the writer takes the trainees' row locks (``lock_trainees``,
before the statement) so that it reads each trainee's activity as the last writer left it.
A correction moves the trainee's count from the old village, county and categories to the
new.

The persons of each month (ADR 0097) are a function of a trainee's days
(``training.month_parts``: per month with days, its days and the last day attended before
it). A write takes each touched trainee's parts out under the days before it and puts them
back under the days after it (most cancel: only the months from the earliest day written
change), in the same statement and under the same trainee locks; a correction does so
around the change of residence or categories.
"""

from collections.abc import Sequence

import asyncpg

from services.training.tallies.models import CATEGORIES, LEVELS

WEIGHT = "CASE {a}.part WHEN 'day' THEN 1.0 ELSE 0.5 END"
CATEGORY_COLUMNS = ", ".join(f"pairs_{c}" for c in CATEGORIES)
PERSON_COLUMNS = ["persons", *(f"persons_{k}" for k in (*LEVELS, *CATEGORIES))]


def _ever(source: str, sign: str) -> tuple[str, str]:
    """Adds the rows of ``source`` (residence_code, categories, ``new``: a person not counted
    before, one boolean per level: attending it for the first time) times ``sign`` to the
    village tally (a CTE's body) and the county person tally (a statement)."""
    village = f"""
    INSERT INTO training.village_tally AS t (village, persons)
    SELECT residence_code, {sign} * count(*) FROM {source} WHERE new GROUP BY 1
    ON CONFLICT (village) DO UPDATE SET persons = t.persons + excluded.persons
    """
    counts = [
        "count(*) FILTER (WHERE new)",
        *(f"count(*) FILTER (WHERE {lv})" for lv in LEVELS),
        *(f"count(*) FILTER (WHERE new AND '{c}' = ANY(categories))" for c in CATEGORIES),
    ]
    county = f"""
    INSERT INTO training.county_person_tally AS t (county, {", ".join(PERSON_COLUMNS)})
    SELECT left(residence_code, 6), {", ".join(f"{sign} * {n}" for n in counts)}
    FROM {source} WHERE new OR {" OR ".join(LEVELS)} GROUP BY 1
    ON CONFLICT (county) DO UPDATE
    SET {", ".join(f"{c} = t.{c} + excluded.{c}" for c in PERSON_COLUMNS)}
    """
    return village, county


KINDS = ("all", *LEVELS)
MONTH_PERSONS = ["persons", *(f"persons_{c}" for c in CATEGORIES)]


def _parts(source: str, sign: str, *, prefix: str = "", alias: str = "a") -> str:
    """The month parts of every kind of the rows of ``source`` (residence_code, categories,
    the multiranges ``{prefix}attended`` and ``{prefix}<level>``) times ``sign``."""
    columns = [f"{prefix}attended", *(f"{prefix}{lv}" for lv in LEVELS)]
    kinds = ", ".join(f"('{k}', {alias}.{c})" for k, c in zip(KINDS, columns, strict=True))
    return f"""
    SELECT {alias}.residence_code, {alias}.categories, k.kind, m.month, m.prev_day, m.mask,
        {sign} AS n
    FROM {source} {alias}
    CROSS JOIN LATERAL (VALUES {kinds}) AS k (kind, days)
    CROSS JOIN LATERAL training.month_parts(k.days) AS m
    """


def _months(source: str) -> tuple[str, str]:
    """Adds the month parts in ``source`` (residence_code, categories, kind, month, prev_day,
    mask, ``n``: +1 or -1) to the village and the county month tallies (two CTE bodies);
    parts that cancel are not written, the rest in key order."""
    village = f"""
    INSERT INTO training.village_month_tally AS t (village, month, prev_day, mask, persons)
    SELECT residence_code, month, prev_day, mask, sum(n) FROM {source} WHERE kind = 'all'
    GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village, month, prev_day, mask) DO UPDATE SET persons = t.persons + excluded.persons
    """
    sums = [
        "sum(n)",
        *(f"coalesce(sum(n) FILTER (WHERE '{c}' = ANY(categories)), 0)" for c in CATEGORIES),
    ]
    county = f"""
    INSERT INTO training.county_month_tally AS t
        (county, kind, month, prev_day, mask, {", ".join(MONTH_PERSONS)})
    SELECT * FROM (
        SELECT left(residence_code, 6) AS county, kind, month, prev_day, mask,
            {", ".join(f"{e} AS {c}" for e, c in zip(sums, MONTH_PERSONS, strict=True))}
        FROM {source} GROUP BY 1, 2, 3, 4, 5
    ) x WHERE {" OR ".join(f"{c} <> 0" for c in MONTH_PERSONS)}
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (county, kind, month, prev_day, mask) DO UPDATE
    SET {", ".join(f"{c} = t.{c} + excluded.{c}" for c in MONTH_PERSONS)}
    """
    return village, county


def _category_sums(pairs: str, categories: str) -> str:
    return ", ".join(
        f"sum(CASE WHEN '{c}' = ANY({categories}) THEN {pairs} ELSE 0 END)" for c in CATEGORIES
    )


def _added_together(table: str) -> str:
    return ", ".join(
        f"{c} = {table}.{c} + excluded.{c}"
        for c in ("pairs", "person_days", *CATEGORY_COLUMNS.split(", "))
    )


# Adds ``change`` (trainee, session, day, pairs, person_days) to the county tally.
_COUNTY = f"""
    INSERT INTO training.county_day_tally AS t (county, day, level, pairs, person_days,
        {CATEGORY_COLUMNS})
    SELECT left(p.residence_code, 6), c.day, s.level, sum(c.pairs), sum(c.person_days),
        {_category_sums("c.pairs", "p.categories")}
    FROM change c
    JOIN {{people}} p ON p.id = c.trainee_id
    JOIN {{held}} s ON s.id = c.session_id
    GROUP BY 1, 2, 3
    ON CONFLICT (county, day, level) DO UPDATE SET {_added_together("t")}
"""
_RANGE = "daterange({a}.day, {a}.day, '[]')"
_ACTIVITY = f"""
    INSERT INTO training.trainee_activity AS t
        (trainee_id, residence_code, categories, attended, {", ".join(LEVELS)})
    SELECT a.trainee_id, p.residence_code, p.categories, range_agg({_RANGE.format(a="a")}),
        {", ".join(f"coalesce(range_agg({_RANGE.format(a='a')}) FILTER (WHERE s.level = '{lv}'), '{{}}')" for lv in LEVELS)}
    FROM added a
    JOIN {{people}} p ON p.id = a.trainee_id
    JOIN {{held}} s ON s.id = a.session_id
    GROUP BY a.trainee_id, p.residence_code, p.categories
    ON CONFLICT (trainee_id) DO UPDATE SET attended = t.attended + excluded.attended,
        {", ".join(f"{lv} = t.{lv} + excluded.{lv}" for lv in LEVELS)}
"""
_SESSIONS = """
    INSERT INTO training.session_tally AS t (session_id, pairs, person_days)
    SELECT session_id, sum(pairs), sum(person_days) FROM change GROUP BY session_id
    ON CONFLICT (session_id) DO UPDATE
    SET pairs = t.pairs + excluded.pairs, person_days = t.person_days + excluded.person_days
"""

# A trainee's gaps: the runs of days between two days attended, none attended (ADR 0097).
_GAPS = """
    SELECT trainee_id, unnest(datemultirange(range_merge({days})) - {days}) AS gap FROM {source}
"""

# An attendance insert (``{insert}``, ``RETURNING session_id, trainee_id, day, part``) and
# what its rows add, in one statement, which ends with ``{answer}``. A statement does not see
# its own changes: the attendance and activity it reads are those before its rows, so
# ``earlier`` is each touched participation's first day before them (read under the
# session's lock) and ``before`` each touched trainee's activity (under the trainee's).
_RECORD = f"""
WITH added AS ({{insert}}),
touched_trainee AS MATERIALIZED (
    SELECT id, residence_code, categories FROM training.trainee
    WHERE id IN (SELECT trainee_id FROM added)
),
touched_session AS MATERIALIZED (
    SELECT id, level FROM training.training_session WHERE id IN (SELECT session_id FROM added)
),
earlier AS (
    SELECT session_id, trainee_id, min(a.day) AS first
    FROM (SELECT DISTINCT session_id, trainee_id FROM added) t
    JOIN training.attendance a USING (session_id, trainee_id)
    GROUP BY session_id, trainee_id
),
moved AS (
    SELECT n.session_id, n.trainee_id, e.first AS old_first, n.first AS new_first
    FROM (SELECT session_id, trainee_id, min(day) AS first FROM added GROUP BY 1, 2) n
    LEFT JOIN earlier e USING (session_id, trainee_id)
    WHERE e.first IS NULL OR n.first < e.first
),
change AS (
    SELECT trainee_id, session_id, new_first AS day, 1 AS pairs, 0.0 AS person_days FROM moved
    UNION ALL
    SELECT trainee_id, session_id, old_first, -1, 0.0 FROM moved WHERE old_first IS NOT NULL
    UNION ALL
    SELECT trainee_id, session_id, day, 0, {WEIGHT.format(a="added")} FROM added
),
before AS MATERIALIZED (
    SELECT trainee_id, residence_code, categories, attended AS was_attended,
        {", ".join(f"NOT isempty({lv}) AS {lv}, {lv} AS was_{lv}" for lv in LEVELS)}
    FROM training.trainee_activity WHERE trainee_id IN (SELECT id FROM touched_trainee)
),
added_days AS (
    SELECT a.trainee_id, range_agg({_RANGE.format(a="a")}) AS attended,
        {", ".join(f"coalesce(range_agg({_RANGE.format(a='a')}) FILTER (WHERE s.level = '{lv}'), '{{}}') AS {lv}" for lv in LEVELS)}
    FROM added a JOIN touched_session s ON s.id = a.session_id
    GROUP BY a.trainee_id
),
grown AS (
    SELECT d.trainee_id, p.residence_code, p.categories,
        coalesce(b.was_attended, '{{}}') + d.attended AS now_attended,
        {", ".join(f"coalesce(b.was_{lv}, '{{}}') + d.{lv} AS now_{lv}" for lv in LEVELS)}
    FROM added_days d
    JOIN touched_trainee p ON p.id = d.trainee_id
    LEFT JOIN before b ON b.trainee_id = d.trainee_id
),
month_change AS (
    {_parts("grown", "1", prefix="now_", alias="g")}
    UNION ALL
    {_parts("before", "-1", prefix="was_", alias="b")}
),
opened AS (
    SELECT p.residence_code, p.categories, b.trainee_id IS NULL AS new,
        {", ".join(f"bool_or(s.level = '{lv}') AND NOT coalesce(b.{lv}, false) AS {lv}" for lv in LEVELS)}
    FROM (SELECT DISTINCT trainee_id, session_id FROM added) a
    JOIN touched_trainee p ON p.id = a.trainee_id
    JOIN touched_session s ON s.id = a.session_id
    LEFT JOIN before b ON b.trainee_id = a.trainee_id
    GROUP BY p.id, p.residence_code, p.categories, b.trainee_id, {", ".join(f"b.{lv}" for lv in LEVELS)}
),
villages AS ({_ever("opened", "1")[0]}),
persons AS ({_ever("opened", "1")[1]}),
village_months AS ({_months("month_change")[0]}),
gaps_now AS ({_GAPS.format(source="grown", days="now_attended")}),
gaps_was AS ({_GAPS.format(source="before", days="was_attended")}),
gaps_closed AS (
    DELETE FROM training.trainee_gap t
    USING (SELECT trainee_id, gap FROM gaps_was EXCEPT SELECT trainee_id, gap FROM gaps_now) x
    WHERE t.trainee_id = x.trainee_id AND t.gap = x.gap
),
gaps_opened AS (
    INSERT INTO training.trainee_gap (trainee_id, gap, residence_code)
    SELECT trainee_id, gap, residence_code FROM (
        SELECT trainee_id, gap FROM gaps_now EXCEPT SELECT trainee_id, gap FROM gaps_was
    ) x JOIN touched_trainee p ON p.id = x.trainee_id
),
county_months AS ({_months("month_change")[1]}),
county AS ({_COUNTY}),
sessions AS ({_SESSIONS}),
activity AS (
    INSERT INTO training.trainee_activity AS t
        (trainee_id, residence_code, categories, attended, {", ".join(LEVELS)})
    SELECT trainee_id, residence_code, categories, now_attended,
        {", ".join(f"now_{lv}" for lv in LEVELS)}
    FROM grown
    ON CONFLICT (trainee_id) DO UPDATE SET attended = excluded.attended,
        {", ".join(f"{lv} = excluded.{lv}" for lv in LEVELS)}
)
{{answer}}
"""
# The trainees and sessions of the rows written, looked up once each (a sheet's part of
# 10,000 rows is a few thousand trainees and a few dozen sessions).
_RECORD = _RECORD.replace("{people}", "touched_trainee").replace("{held}", "touched_session")


def counted(insert: str, answer: str) -> str:
    """The statement that runs ``insert`` (of attendance, returning its rows' keys) and counts
    its rows in every roll-up, answering ``answer`` (a query over ``added``, its rows). The
    session's writers take turns (``lock_sessions``) and so do the trainees'
    (``lock_trainees``), both before it."""
    return _RECORD.replace("{insert}", insert).replace("{answer}", answer)


SIGN_IN = counted(
    """
    INSERT INTO training.attendance (session_id, trainee_id, day, part, recorded_by)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT DO NOTHING RETURNING session_id, trainee_id, day, part
    """,
    "SELECT count(*) FROM added",
)


def _on_tables(sql: str) -> str:
    """``_COUNTY`` or ``_ACTIVITY`` joining the trainee and session tables themselves."""
    return sql.replace("{people}", "training.trainee").replace(
        "{held}", "training.training_session"
    )


# Every participation of the trainees in $1 (of everyone in a rebuild), times $2 (1 to
# put them in, -1 to take them out) — under their residence and categories as they are now.
# Attendance is reached by trainee through the two partial indexes (ADR 0031).
_CONTRIBUTION = f"""
WITH mine AS (
    SELECT session_id, trainee_id, day, part FROM training.attendance
    WHERE {{trainees}} AND part IN ('day', 'am')
    UNION ALL
    SELECT session_id, trainee_id, day, part FROM training.attendance
    WHERE {{trainees}} AND part = 'pm'
),
change AS (
    SELECT trainee_id, session_id, min(day) AS day, $2::int AS pairs, 0.0 AS person_days
    FROM mine GROUP BY trainee_id, session_id
    UNION ALL
    SELECT trainee_id, session_id, day, 0, $2::int * {WEIGHT.format(a="mine")} FROM mine
)
{_on_tables(_COUNTY)}
"""
_CONTRIBUTION_OF = _CONTRIBUTION.replace("{trainees}", "trainee_id = ANY($1::bigint[])")
# The residents ever trained among the trainees in $1 (everyone in a rebuild), times $2, under
# the residence and categories of their activity rows.
_MINE = f"""mine AS (
    SELECT residence_code, categories, true AS new,
        {", ".join(f"NOT isempty({lv}) AS {lv}" for lv in LEVELS)}
    FROM training.trainee_activity WHERE {{trainees}}
)"""
_VILLAGE_EVER, _COUNTY_EVER = _ever("mine", "$2::int")
# Their month parts (ADR 0097), under the same copy.
_MINE_MONTHS = f"""mine_months AS (
    {_parts("(SELECT * FROM training.trainee_activity WHERE {trainees})", "$2::int")}
)"""
_VILLAGE_MONTHS, _COUNTY_MONTHS = _months("mine_months")
_EVER = f"""WITH {_MINE}, villages AS ({_VILLAGE_EVER}), {_MINE_MONTHS},
village_months AS ({_VILLAGE_MONTHS}), county_months AS ({_COUNTY_MONTHS})
{_COUNTY_EVER}"""
_EVER_OF = _EVER.replace("{trainees}", "trainee_id = ANY($1::bigint[])")
_ACTIVITY_COPY = """
WITH gaps AS (
    UPDATE training.trainee_gap g SET residence_code = p.residence_code
    FROM training.trainee p WHERE p.id = g.trainee_id AND p.id = ANY($1::bigint[])
)
UPDATE training.trainee_activity a SET residence_code = p.residence_code, categories = p.categories
FROM training.trainee p WHERE p.id = a.trainee_id AND p.id = ANY($1::bigint[])
"""


async def lock_sessions(conn: asyncpg.Connection, session_ids: Sequence[int]) -> None:
    """The row locks that make one session's attendance writers take turns (in id order,
    so two writers of overlapping sessions never deadlock)."""
    await conn.execute(
        "SELECT 1 FROM training.training_session WHERE id = ANY($1::bigint[])"
        " ORDER BY id FOR NO KEY UPDATE",
        sorted(set(session_ids)),
    )


async def lock_trainees(conn: asyncpg.Connection, trainee_ids: Sequence[int]) -> None:
    """The row locks that make writers of one trainee's attendance take turns over the
    residents-ever-trained counts (in id order; a correction's ``FOR UPDATE`` waits too)."""
    await conn.execute(
        "SELECT 1 FROM training.trainee WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE",
        sorted(set(trainee_ids)),
    )


async def sign_in(
    conn: asyncpg.Connection, session_id: int, trainee_id: int, day: object, part: str, by: str
) -> bool:
    """Insert one attendance row and count it (its session locked: ``lock_sessions``); False
    when it was held already (or its half of the day is taken)."""
    await lock_trainees(conn, [trainee_id])
    return bool(await conn.fetchval(SIGN_IN, session_id, trainee_id, day, part, by))


async def count_ever(conn: asyncpg.Connection, trainee_ids: Sequence[int], sign: int) -> None:
    """Put in (1) or take out (-1) the trainees' part of the residents-ever-trained counts,
    as their activity rows say: around any change of those rows."""
    await conn.execute(_EVER_OF, list(trainee_ids), sign)


async def withdraw(conn: asyncpg.Connection, trainee_ids: Sequence[int]) -> None:
    """Before a trainee's residence or categories change (the trainee row locked FOR
    UPDATE, which a new attendance row's foreign key check waits for)."""
    await conn.execute(_CONTRIBUTION_OF, list(trainee_ids), -1)
    await count_ever(conn, trainee_ids, -1)


async def deposit(conn: asyncpg.Connection, trainee_ids: Sequence[int]) -> None:
    """After the change: the participations again, and the activity's copy of both."""
    await conn.execute(_CONTRIBUTION_OF, list(trainee_ids), 1)
    await conn.execute(_ACTIVITY_COPY, list(trainee_ids))
    await count_ever(conn, trainee_ids, 1)


# The gaps of the trainees ``{trainees}`` selects (everyone in a rebuild), from their activity.
_GAPS_FROM_ACTIVITY = (
    "INSERT INTO training.trainee_gap (trainee_id, gap, residence_code)"
    " SELECT g.trainee_id, g.gap, a.residence_code FROM ("
    + _GAPS.format(source="training.trainee_activity WHERE {trainees}", days="attended")
    + ") g JOIN training.trainee_activity a USING (trainee_id)"
)
_GAPS_OF = _GAPS_FROM_ACTIVITY.replace("{trainees}", "trainee_id = ANY($1::bigint[])")


async def regap(conn: asyncpg.Connection, trainee_ids: Sequence[int]) -> None:
    """The trainees' gaps again from their activity, after days were taken out of it (a
    benchmark taking back what it wrote; attendance itself only grows)."""
    ids = list(trainee_ids)
    await conn.execute("DELETE FROM training.trainee_gap WHERE trainee_id = ANY($1::bigint[])", ids)
    await conn.execute(_GAPS_OF, ids)


REBUILD = [
    "TRUNCATE training.county_day_tally, training.trainee_activity, training.session_tally,"
    " training.village_tally, training.county_person_tally, training.village_month_tally,"
    " training.county_month_tally, training.trainee_gap",
    _CONTRIBUTION.replace("{trainees}", "true").replace("$2::int", "1"),
    _on_tables(_ACTIVITY).replace("FROM added a", "FROM training.attendance a"),
    f"""
    INSERT INTO training.session_tally (session_id, pairs, person_days)
    SELECT session_id, count(DISTINCT trainee_id), sum({WEIGHT.format(a="a")})
    FROM training.attendance a GROUP BY session_id
    """,
    _EVER.replace("{trainees}", "true").replace("$2::int", "1"),
    _GAPS_FROM_ACTIVITY.replace("{trainees}", "true"),
]


async def rebuild(conn: asyncpg.Connection) -> None:
    """Every roll-up again from attendance (``ruralnet training rebuild-tallies``): after a
    restore, or to check them. Takes the attendance table's lock against writers."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE training.attendance IN SHARE MODE")
        for statement in REBUILD:
            await conn.execute(statement)
