"""Queries of attendance. The bulk path is set-based: a sheet's part is written by one
``INSERT … SELECT FROM unnest(…)`` per table (its trainees and its attendance from arrays,
the attendance's roll-ups in the same statement), never a round trip per row. Only
``flush`` here; the request scope commits."""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.training.attendance.models import Attendance
from services.training.sessions.models import TrainingSession
from services.training.tallies import repository as tallies


async def raw_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside its transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


async def plan_for_upload(conn: asyncpg.Connection) -> None:
    """For the rest of the transaction, no JIT compilation: the planner's estimates over a
    sheet's arrays put its statements above ``jit_above_cost``, and compiling them (over a
    second for the roll-ups') costs more than running them (0.1 s for 10,000 rows). And
    each statement planned once, not for its parameters: they are arrays of a part's 10,000
    rows, and planning for their values (as PostgreSQL does for a prepared statement's first
    five runs on a connection) cost more than it gained: a million rows took 41–42 s with
    generic plans and 44–46 s without (ADR 0102)."""
    await conn.execute("SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_generic_plan")


async def sessions_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, TrainingSession]:
    """The sessions, locked until commit: none is cancelled under the upload, and the
    upload takes its turn with the session's other attendance writers (ADR 0033)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = (
        select(TrainingSession)
        .where(TrainingSession.id.in_(wanted))
        .order_by(TrainingSession.id)
        .with_for_update(key_share=True)
    )
    return {row.id: row for row in await session.scalars(stmt)}


async def trainees_by_index(conn: asyncpg.Connection, indexes: Sequence[bytes]) -> dict[bytes, int]:
    rows = await conn.fetch(
        "SELECT id_number_index, id FROM training.trainee WHERE id_number_index = ANY($1::bytea[])",
        list(indexes),
    )
    return {bytes(r[0]): r[1] for r in rows}


# A part's new trainees from one array per column (categories joined by commas: an array
# per trainee would be a ragged two-dimensional one). One statement, one round trip.
_INSERT_TRAINEES = """
    INSERT INTO training.trainee (id_number_cipher, id_number_index, id_number_mask, key_id,
        name, phone, sex, birth_date, birth_year, residence_code, categories, version,
        created_by)
    SELECT cipher, index, mask, key_id, name, phone, sex, birth_date, birth_year,
        residence_code, string_to_array(categories, ','), 1, $12
    FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[],
        $7::text[], $8::date[], $9::smallint[], $10::text[], $11::text[])
        AS u(cipher, index, mask, key_id, name, phone, sex, birth_date, birth_year,
             residence_code, categories)
    ON CONFLICT (id_number_index) WHERE id_number_index IS NOT NULL DO NOTHING
    RETURNING id_number_index, id
"""


async def insert_trainees(
    conn: asyncpg.Connection, records: Sequence[tuple[Any, ...]], created_by: str
) -> dict[bytes, int]:
    """Insert new trainees, records of (ID cipher, blind index, mask, key id, name, phone,
    sex, birth date, birth year, residence, categories); the ids of those inserted by their
    blind index. A person registered already (or meanwhile) is left as they are: not
    returned."""
    if not records:
        return {}
    columns = [list(c) for c in zip(*records, strict=True)]
    columns[10] = [",".join(c) for c in columns[10]]
    inserted = await conn.fetch(_INSERT_TRAINEES, *columns, created_by)
    return {bytes(r[0]): r[1] for r in inserted}


# For rows that did not insert: what the trainee already holds on that day. Attendance is
# reached through the two partial indexes on (trainee, day), each with its predicate, once
# per row in question (a sheet sent again: all of them).
_HELD_ON_THOSE_DAYS = (
    " UNION ALL ".join(
        f"""
    SELECT u.row_no, a.session_id, a.part,
           u.session_id = a.session_id AND u.part = a.part AS same
    FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::date[], $5::text[])
        AS u(row_no, session_id, trainee_id, day, part)
    JOIN training.attendance a
      ON a.trainee_id = u.trainee_id AND a.day = u.day AND a.part IN ({parts})
    """
        for parts in ("'day', 'am'", "'pm'")
    )
    + " ORDER BY row_no, same DESC"
)

# One part's rows, inserted and counted in the roll-ups by one statement. Nothing is joined
# to the rows given before they are inserted, so the plan does not hang on an estimate of
# their number.
_INSERT_PART = """
    INSERT INTO training.attendance (session_id, trainee_id, day, part, recorded_by)
    SELECT session_id, trainee_id, day, part, $1
    FROM unnest($2::bigint[], $3::bigint[], $4::date[], $5::text[])
        AS u(session_id, trainee_id, day, part)
    {conflict}
    RETURNING session_id, trainee_id, day, part
"""
_WRITE_PART = tallies.counted(_INSERT_PART.format(conflict=""), "SELECT 1")
_WRITE_PART_AGAIN = tallies.counted(
    _INSERT_PART.format(conflict="ON CONFLICT DO NOTHING"),
    "SELECT session_id, trainee_id, day, part FROM added",
)


async def insert_attendance(
    conn: asyncpg.Connection,
    records: Sequence[tuple[int, int, int, date, str]],
    recorded_by: str,
    trainees_to_lock: Sequence[int],
) -> tuple[set[int], list[asyncpg.Record]]:
    """Insert a part of a sheet, (row, session, trainee, day, part) records, and count it in
    the roll-ups (its sessions locked; no two of a sheet's records claim the same half day).
    ``trainees_to_lock``: its trainees not locked yet that the upload did not create (no
    other transaction sees those, so none waits for them). Returns the rows inserted, and
    for the others the attendance already held on that trainee's day (same key: unchanged;
    another part or session: the day would be counted twice)."""
    if trainees_to_lock:
        await tallies.lock_trainees(conn, trainees_to_lock)
    columns = [list(c) for c in zip(*records, strict=True)]
    args = (recorded_by, *columns[1:])
    # A plain insert first, in a savepoint: ``ON CONFLICT`` probes each of the three unique
    # indexes before inserting into them (a third of the insert's time for new rows). A
    # row held already (a sheet sent again) or meanwhile (another writer of the
    # trainee's day) fails it; the part is then inserted again, row by row as it may.
    await conn.execute("SAVEPOINT upload_part")
    try:
        await conn.execute(_WRITE_PART, *args)
    except asyncpg.UniqueViolationError:
        await conn.execute("ROLLBACK TO SAVEPOINT upload_part; RELEASE SAVEPOINT upload_part")
        added = await conn.fetch(_WRITE_PART_AGAIN, *args)
    else:
        await conn.execute("RELEASE SAVEPOINT upload_part")
        return {r[0] for r in records}, []
    keys = {tuple(r) for r in added}
    done = {r[0] for r in records if r[1:] in keys}
    others = [r for r in records if r[0] not in done]
    if not others:
        return done, []
    existing = await conn.fetch(_HELD_ON_THOSE_DAYS, *map(list, zip(*others, strict=True)))
    return done, existing


async def insert_one(
    session: AsyncSession, session_id: int, trainee_id: int, day: date, part: str, by: str
) -> bool:
    """Insert one attendance row and count it in the roll-ups; False when it was held
    already (or its half of the day is taken)."""
    await session.flush()  # a trainee registered by this sign-in goes first
    conn = await raw_connection(session)
    await tallies.lock_sessions(conn, [session_id])
    return await tallies.sign_in(conn, session_id, trainee_id, day, part, by)


async def held_on_day(session: AsyncSession, trainee_id: int, day: date) -> list[Attendance]:
    stmt = select(Attendance).where(Attendance.trainee_id == trainee_id, Attendance.day == day)
    return list(await session.scalars(stmt))


async def counts(session: AsyncSession, session_ids: Sequence[int]) -> list[Any]:
    stmt = (
        select(
            Attendance.session_id,
            func.count(func.distinct(Attendance.trainee_id)),
            func.sum(text("CASE part WHEN 'day' THEN 1.0 ELSE 0.5 END")),
            func.count(),
        )
        .where(Attendance.session_id.in_(sorted(set(session_ids))))
        .group_by(Attendance.session_id)
        .order_by(Attendance.session_id)
    )
    return list(await session.execute(stmt))


async def attendees(
    session: AsyncSession, session_id: int, after: tuple[int, date, str] | None, limit: int
) -> list[Any]:
    stmt = select(Attendance).where(Attendance.session_id == session_id)
    if after is not None:
        stmt = stmt.where(
            func.row(Attendance.trainee_id, Attendance.day, Attendance.part)
            > func.row(after[0], after[1], after[2])
        )
    stmt = stmt.order_by(Attendance.trainee_id, Attendance.day, Attendance.part).limit(limit + 1)
    return list(await session.scalars(stmt))
