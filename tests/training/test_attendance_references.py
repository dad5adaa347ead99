"""Attendance names a session and a trainee that exist (ADR 0103): checked once per
statement by triggers, which refuse and lock what the two foreign keys refused and locked."""

import asyncio
from datetime import timedelta

import asyncpg
import httpx
import pytest

from tests.jobs.support import waiting_for_lock
from tests.training.helpers import TODAY, admin, days_ago, make_session, person, resident_id

TRAINEE_KEY = "fk_attendance_trainee_id_trainee"
SESSION_KEY = "fk_attendance_session_id_training_session"
DAY = TODAY - timedelta(days=3)
INSERT = """
    INSERT INTO training.attendance (session_id, trainee_id, day, part, recorded_by)
    SELECT s, t, $3, 'day', 'test' FROM unnest($1::bigint[], $2::bigint[]) AS u(s, t)
"""


@pytest.fixture
async def named(training: httpx.AsyncClient) -> tuple[int, list[int]]:
    """A session held three days ago and three registered trainees, none signed in."""
    session = await make_session(training, starts_on=days_ago(3), ends_on=days_ago(3))
    trainees = []
    for seq in ("701", "702", "703"):
        r = await training.post("/v1/trainees", json=person(resident_id(seq=seq)), headers=admin())
        assert r.status_code == 201, r.text
        trainees.append(int(r.json()["id"]))
    return session["id"], trainees


async def test_rows_naming_a_missing_trainee_or_session_are_refused(
    db: asyncpg.Pool, named: tuple[int, list[int]]
) -> None:
    session, trainees = named
    async with db.acquire() as conn:
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await conn.execute(INSERT, [session] * 3, [*trainees[:2], 10**12], DAY)
        assert refused.value.constraint_name == TRAINEE_KEY
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await conn.execute(INSERT, [session, 10**12], trainees[:2], DAY)
        assert refused.value.constraint_name == SESSION_KEY
        assert await conn.fetchval("SELECT count(*) FROM training.attendance") == 0
        await conn.execute(INSERT, [session] * 3, trainees, DAY)
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await conn.execute(
                "UPDATE training.attendance SET trainee_id = $1 WHERE trainee_id = $2",
                10**12,
                trainees[0],
            )
        assert refused.value.constraint_name == TRAINEE_KEY
        assert await conn.fetchval("SELECT count(*) FROM training.attendance") == 3


async def test_what_attendance_names_is_never_deleted_renumbered_or_truncated(
    db: asyncpg.Pool, named: tuple[int, list[int]]
) -> None:
    session, trainees = named
    async with db.acquire() as conn:
        await conn.execute(INSERT, [session], trainees[:1], DAY)
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await conn.execute("DELETE FROM training.trainee WHERE id = ANY($1)", trainees)
        assert refused.value.constraint_name == TRAINEE_KEY
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await conn.execute("DELETE FROM training.training_session WHERE id = $1", session)
        assert refused.value.constraint_name == SESSION_KEY
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                "UPDATE training.trainee SET id = id + 1000000 WHERE id = $1", trainees[0]
            )
        for tables in (
            "training.trainee, training.outcome, training.trainee_activity, training.trainee_gap",
            "training.training_session CASCADE",
        ):
            with pytest.raises(asyncpg.FeatureNotSupportedError):
                async with conn.transaction():
                    await conn.execute(f"TRUNCATE {tables}")
        # Under REPEATABLE READ the check would read an older snapshot than the rows' own.
        with pytest.raises(asyncpg.ObjectNotInPrerequisiteStateError):
            async with conn.transaction(isolation="repeatable_read"):
                await conn.execute("DELETE FROM training.trainee WHERE id = $1", trainees[2])
        # Not named: deleted as ever.
        assert await conn.execute("DELETE FROM training.trainee WHERE id = $1", trainees[2]) == (
            "DELETE 1"
        )
        assert await conn.fetchval("SELECT count(*) FROM training.attendance") == 1


async def test_a_writer_locks_what_its_rows_name_as_a_key_would(
    db: asyncpg.Pool, named: tuple[int, list[int]]
) -> None:
    """A trainee's correction (FOR UPDATE) cannot take the row under a writer; a delete waits
    for it, then sees its rows and is refused."""
    session, trainees = named
    async with db.acquire() as writer, db.acquire() as other:
        held = writer.transaction()
        await held.start()
        await writer.execute(INSERT, [session], trainees[:1], DAY)
        for table, key in (("trainee", trainees[0]), ("training_session", session)):
            with pytest.raises(asyncpg.LockNotAvailableError):
                await other.execute(
                    f"SELECT 1 FROM training.{table} WHERE id = $1 FOR UPDATE NOWAIT", key
                )
        deleting = asyncio.create_task(
            other.execute("DELETE FROM training.trainee WHERE id = $1", trainees[0])
        )
        await waiting_for_lock(db)
        assert not deleting.done()
        await held.commit()
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await deleting
