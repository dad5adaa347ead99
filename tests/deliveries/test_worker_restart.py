"""A worker killed in the middle of a delivery loses nothing: the job runs again on the next
worker (pgqueuer's heartbeat), with the same webhook-id, and the receiver takes it once."""

import os
import signal

import asyncpg

from gateway.jobs import JobContext
from tests.deliveries.support import insert_revision, receiver, revision_ready
from tests.deliveries.targets import make_target
from tests.jobs.support import eventually, worker_process

# A dead worker's job is taken again once its heartbeat is this old.
FAST_TAKEOVER = {"GATEWAY_JOBS_HEARTBEAT_SECONDS": "2", "GATEWAY_JOBS_POLL_SECONDS": "1"}


async def test_a_worker_killed_mid_delivery_loses_nothing(
    ctx: JobContext, database_url: str, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom:
        _, secret = await make_target(ctx, mofcom.url)
        mofcom.secrets.append(secret)
        mofcom.hang = True  # takes the request and never answers: the worker waits on it
        revision = await insert_revision(db, "141124000000")
        with worker_process(database_url, env=FAST_TAKEOVER) as first:
            (delivery_id,) = await revision_ready(ctx, revision)
            assert mofcom.arrived.wait(120), "the first worker never sent the delivery"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        mofcom.hang = False
        with worker_process(database_url, env=FAST_TAKEOVER):
            delivered = await eventually(
                lambda: db.fetchval(
                    "SELECT status = 'delivered' FROM gateway.delivery WHERE id = $1", delivery_id
                ),
                within=120,
            )
        assert delivered
    attempts = await db.fetch(
        "SELECT number, outcome FROM gateway.delivery_attempt WHERE delivery_id = $1 "
        "ORDER BY number",
        delivery_id,
    )
    assert [(a["number"], a["outcome"]) for a in attempts] == [(1, "interrupted"), (2, "delivered")]
    assert [r["headers"]["webhook-id"] for r in mofcom.requests] == [f"rev_{revision}"] * 2
    assert list(mofcom.effective) == [f"rev_{revision}"]
