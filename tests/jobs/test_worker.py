"""The job queue (ADR 0080): jobs enqueued in a transaction are run by a real worker process."""

from collections.abc import Iterator

import asyncpg
import pytest
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import make_engine, make_sessionmaker
from gateway.jobs import enqueue, enqueue_on
from gateway.jobs.queue import queries
from tests.jobs.support import eventually, recording_server, worker_process


async def test_the_installed_queue_is_what_the_library_declares(db: asyncpg.Pool) -> None:
    """Migration 0003 pinned pgqueuer's DDL; a library upgrade that wants more shows here."""
    async with db.acquire() as conn:
        plan = await queries(AsyncpgDriver(conn)).plan_upgrade()
    assert list(plan.statements) == []


async def _count_jobs(db: asyncpg.Pool) -> int:
    return await db.fetchval("SELECT count(*) FROM gateway.pgqueuer")


async def test_a_job_exists_only_if_its_transaction_commits(
    database_url: str, db: asyncpg.Pool
) -> None:
    engine = make_engine(database_url, application_name="test-jobs", pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            session: AsyncSession
            await enqueue(session, "probe.call", {"url": "http://127.0.0.1:9/"})
            await session.rollback()
        assert await _count_jobs(db) == 0
        async with make_sessionmaker(engine)() as session, session.begin():
            await enqueue(session, "probe.call", {"url": "http://127.0.0.1:9/"})
        assert await _count_jobs(db) == 1
    finally:
        await engine.dispose()


async def test_a_dedupe_key_keeps_one_waiting_job(db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        first = await enqueue_on(conn, "probe.call", {"n": 1}, dedupe_key="same")
        second = await enqueue_on(conn, "probe.call", {"n": 2}, dedupe_key="same")
    assert first is not None
    assert second is None
    assert await _count_jobs(db) == 1


@pytest.fixture(scope="module")
def worker(database_url: str) -> Iterator[None]:
    """One real worker process for the tests below (it takes seconds to start)."""
    with worker_process(database_url, "tests.jobs.probe"):
        yield


@pytest.mark.usefixtures("worker")
async def test_a_real_worker_process_runs_an_enqueued_job(db: asyncpg.Pool) -> None:
    with recording_server() as (url, recorder):
        async with db.acquire() as conn:
            job_id = await enqueue_on(conn, "probe.call", {"url": url, "county": "141124"})
        (received,) = recorder.wait_for(1)
    assert received == {"url": url, "county": "141124", "job_id": job_id, "attempt": 1}

    async def finished() -> bool:
        # The worker logs the job's end after the call returned: awaited by its effect.
        statuses = await db.fetch(
            "SELECT status::text FROM gateway.pgqueuer_log WHERE job_id = $1 ORDER BY id", job_id
        )
        return bool(statuses) and statuses[-1]["status"] == "successful"

    await eventually(finished)
    assert await _count_jobs(db) == 0


@pytest.mark.usefixtures("worker")
async def test_a_failing_job_runs_again(db: asyncpg.Pool) -> None:
    with recording_server(status=503) as (url, recorder):
        async with db.acquire() as conn:
            job_id = await enqueue_on(conn, "probe.call", {"url": url})
        received = recorder.wait_for(2)
    assert [r["attempt"] for r in received[:2]] == [1, 2]
    assert {r["job_id"] for r in received} == {job_id}
