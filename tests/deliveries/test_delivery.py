"""Signed deliveries to loopback MOFCOM and provincial receivers, with simulated time."""

import itertools
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from gateway.jobs import JobContext
from gateway.reports.deliveries import policy, service
from gateway.reports.targets import service as targets
from gateway.reports.targets.schemas import TargetPatch
from tests.deliveries.conftest import ADMIN
from tests.deliveries.support import (
    FakeClock,
    insert_revision,
    next_due,
    receiver,
    revision_ready,
    run_due,
)
from tests.deliveries.targets import make_target


async def _delivery(db: asyncpg.Pool, delivery_id: int) -> asyncpg.Record:
    return await db.fetchrow("SELECT * FROM gateway.delivery WHERE id = $1", delivery_id)


async def _attempts(db: asyncpg.Pool, delivery_id: int) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM gateway.delivery_attempt WHERE delivery_id = $1 ORDER BY number",
        delivery_id,
    )


async def test_an_hour_long_outage_then_every_revision_delivered_once(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom, receiver("Shanxi") as shanxi:
        mofcom_id, mofcom_secret = await make_target(ctx, mofcom.url)
        mofcom.secrets.append(mofcom_secret)
        _shanxi_id, shanxi_secret = await make_target(ctx, shanxi.url, "14", "province")
        shanxi.secrets.append(shanxi_secret)
        revisions = [
            await insert_revision(db, "141124000000"),  # 临县
            await insert_revision(db, "141102000000"),  # 离石区
            await insert_revision(db, "331102000000"),  # 莲都区 (Zhejiang: MOFCOM only)
        ]
        for revision in revisions:
            await revision_ready(ctx, revision)
        # Asking again (a regeneration that confirmed the same revisions) delivers nothing twice.
        for revision in revisions:
            assert await revision_ready(ctx, revision) == []
        assert await db.fetchval("SELECT count(*) FROM gateway.delivery") == 5

        mofcom.status = 503  # down for an hour
        start = clock.now
        await run_due(ctx, db)
        # The retry is in the durable queue, due after the first backoff.
        queued = await db.fetch(
            "SELECT payload, execute_after - now() AS wait FROM gateway.pgqueuer "
            "WHERE entrypoint = 'reports.deliver' AND execute_after > now() + interval '10 s'"
        )
        assert len(queued) == 3
        assert all(timedelta(seconds=20) < q["wait"] < timedelta(seconds=40) for q in queued)

        while (due := await next_due(db)) is not None:
            clock.now = max(clock.now, due)
            if clock.now - start >= timedelta(hours=1):
                mofcom.status = 200
            await run_due(ctx, db)

    statuses = await db.fetch("SELECT target_id, status, receipt FROM gateway.delivery")
    assert {r["status"] for r in statuses} == {"delivered"}
    assert all(json.loads(r["receipt"])["duplicate"] is False for r in statuses)
    bodies = {
        r["id"]: bytes(r["body"])
        for r in await db.fetch("SELECT id, body FROM gateway.report_revision")
    }
    assert mofcom.effective == {f"rev_{i}": bodies[i] for i in revisions}
    assert shanxi.effective == {f"rev_{i}": bodies[i] for i in revisions[:2]}
    assert mofcom.forged == shanxi.forged == 0

    # Every attempt recorded; the waits follow the documented schedule, jitter included.
    (lin,) = await db.fetch(
        "SELECT id FROM gateway.delivery WHERE target_id = $1 AND revision_id = $2",
        mofcom_id,
        revisions[0],
    )
    attempts = await _attempts(db, lin["id"])
    assert [a["outcome"] for a in attempts[:-1]] == ["retry"] * (len(attempts) - 1)
    assert attempts[-1]["outcome"] == "delivered"
    assert all(a["status_code"] == 503 for a in attempts[:-1])
    assert all(
        a["latency_ms"] is not None and "MOFCOM says 503" in a["response_excerpt"]
        for a in attempts[:-1]
    )
    for n, (before, after) in enumerate(itertools.pairwise(attempts), start=1):
        wait = after["started_at"] - before["started_at"]
        base = min(policy.FIRST_DELAY * 2 ** (n - 1), policy.MAX_DELAY)
        assert base <= wait <= base * (1 + policy.JITTER), (n, wait)
    assert attempts[-1]["started_at"] - attempts[0]["started_at"] >= timedelta(hours=1)
    assert len(attempts) == 8  # 30 s + 1 + 2 + 4 + 8 + 16 + 32 min passes the hour at the 8th
    assert all(len(s.requests) for s in (mofcom, shanxi))
    # One webhook-id per revision on every retry.
    ids = {r["headers"]["webhook-id"] for r in mofcom.requests if r["body"] == bodies[revisions[0]]}
    assert ids == {f"rev_{revisions[0]}"}


async def test_the_same_webhook_id_and_a_valid_signature_on_every_retry(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi:
        _, secret = await make_target(ctx, shanxi.url, "14", "province")
        shanxi.secrets.append(secret)
        revision = await insert_revision(db, "141124000000")
        (delivery_id,) = await revision_ready(ctx, revision)
        shanxi.status = 500
        for _ in range(3):
            await run_due(ctx, db)
            clock.now = await next_due(db)
        shanxi.status = 200
        await run_due(ctx, db)
    assert len(shanxi.requests) == 4
    for request in shanxi.requests:
        assert request["headers"]["webhook-id"] == f"rev_{revision}"
        Webhook(secret).verify(request["body"], request["headers"], json_parse=False)
        assert request["headers"]["ruralnet-division"] == "141124000000"
        assert request["headers"]["ruralnet-content-hash"].startswith("sha256:")
    assert (await _delivery(db, delivery_id))["status"] == "delivered"


async def test_a_forged_signature_is_refused_by_the_receiver(
    ctx: JobContext, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom:
        _, secret = await make_target(ctx, mofcom.url)
        mofcom.secrets.append(secret)
        body = b'{"document_type":"county-report"}'
        forged = Webhook("whsec_" + "QUJD" * 8).sign("rev_1", datetime.now(UTC), body.decode())
        async with httpx.AsyncClient() as client:
            response = await client.post(
                mofcom.url,
                content=body,
                headers={
                    "webhook-id": "rev_1",
                    "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
                    "webhook-signature": forged,
                },
            )
    assert response.status_code == 401
    assert mofcom.forged == 1
    assert mofcom.effective == {}


async def test_429_waits_as_long_as_retry_after_says(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi:
        _, secret = await make_target(ctx, shanxi.url, "14", "province")
        shanxi.secrets.append(secret)
        (delivery_id,) = await revision_ready(ctx, await insert_revision(db, "141124000000"))
        shanxi.status, shanxi.retry_after = 429, "900"
        await run_due(ctx, db)
        delivery = await _delivery(db, delivery_id)
        assert delivery["next_attempt_at"] - clock.now == timedelta(seconds=900)
        (attempt,) = await _attempts(db, delivery_id)
        assert (attempt["status_code"], attempt["retry_after_seconds"]) == (429, 900)
        # Nothing is sent before then.
        clock.advance(timedelta(seconds=899))
        assert await run_due(ctx, db) == 0
        clock.advance(timedelta(seconds=1))
        shanxi.status = 200
        assert await run_due(ctx, db) == 1
    assert (await _delivery(db, delivery_id))["status"] == "delivered"


async def test_410_disables_the_target_and_pauses_its_other_deliveries(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi:
        target_id, secret = await make_target(ctx, shanxi.url, "14", "province")
        shanxi.secrets.append(secret)
        first, second = [
            (await revision_ready(ctx, await insert_revision(db, code)))[0]
            for code in ("141124000000", "141102000000")
        ]
        shanxi.status = 410
        await service.attempt(ctx, first)
        target = await db.fetchrow("SELECT * FROM gateway.delivery_target WHERE id = $1", target_id)
        assert (target["status"], target["disabled_reason"]) == ("disabled", "gone")
        assert "410" in target["alert"]
        assert (await _delivery(db, first))["status"] == "gone"
        # The other one is not sent to a target that said it is gone: paused, not lost.
        await service.attempt(ctx, second)
        paused = await _delivery(db, second)
        assert (paused["status"], paused["next_attempt_at"], paused["attempts"]) == (
            "pending",
            None,
            0,
        )
        assert len(shanxi.requests) == 1

        # An admin re-enables it: the paused delivery is due again and goes.
        shanxi.status = 200
        async with ctx.session() as session:
            _, resumed = await targets.patch(
                session,
                ctx.settings,
                ADMIN,
                target_id,
                TargetPatch(status="active"),
                '"1"',
                clock.now,
            )
        assert resumed == [second]
        await run_due(ctx, db)
    assert (await _delivery(db, second))["status"] == "delivered"


async def test_another_4xx_stops_and_alerts(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom:
        target_id, secret = await make_target(ctx, mofcom.url)
        mofcom.secrets.append(secret)
        (delivery_id,) = await revision_ready(ctx, await insert_revision(db, "141124000000"))
        mofcom.status = 422
        await run_due(ctx, db)
        clock.advance(timedelta(days=2))
        assert await run_due(ctx, db) == 0
    delivery = await _delivery(db, delivery_id)
    assert delivery["status"] == "rejected"
    assert delivery["last_error"].startswith("422")
    target = await db.fetchrow("SELECT * FROM gateway.delivery_target WHERE id = $1", target_id)
    assert target["status"] == "active"
    assert f"delivery {delivery_id} refused" in target["alert"]
    assert len(mofcom.requests) == 1


async def test_a_slow_platform_times_out_and_is_tried_again(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom:
        _, secret = await make_target(ctx, mofcom.url)
        mofcom.secrets.append(secret)
        (delivery_id,) = await revision_ready(ctx, await insert_revision(db, "141124000000"))
        mofcom.hang = True
        await run_due(ctx, db)
        (attempt,) = await _attempts(db, delivery_id)
        assert (attempt["outcome"], attempt["status_code"]) == ("retry", None)
        assert attempt["response_excerpt"].startswith("timeout")
        mofcom.hang = False
        clock.now = await next_due(db)
        await run_due(ctx, db)
    assert (await _delivery(db, delivery_id))["status"] == "delivered"
    assert list(mofcom.effective) == [f"rev_{(await _delivery(db, delivery_id))['revision_id']}"]


async def test_a_refused_connection_is_tried_again(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    from tests.support import closed_port

    with closed_port() as port:
        _, _secret = await make_target(ctx, f"http://127.0.0.1:{port}/reports")
        (delivery_id,) = await revision_ready(ctx, await insert_revision(db, "141124000000"))
        await run_due(ctx, db)
    (attempt,) = await _attempts(db, delivery_id)
    assert attempt["outcome"] == "retry"
    assert "ConnectError" in attempt["response_excerpt"]
    assert (await _delivery(db, delivery_id))["next_attempt_at"] > clock.now


async def test_retries_end_after_a_day_and_alert(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom:
        target_id, secret = await make_target(ctx, mofcom.url)
        mofcom.secrets.append(secret)
        (delivery_id,) = await revision_ready(ctx, await insert_revision(db, "141124000000"))
        mofcom.status = 502
        start = clock.now
        while (due := await next_due(db)) is not None:
            clock.now = due
            await run_due(ctx, db)
    delivery = await _delivery(db, delivery_id)
    assert (delivery["status"], delivery["attempts"]) == ("failed", policy.MAX_ATTEMPTS)
    assert clock.now - start >= timedelta(hours=24)
    alert = await db.fetchval("SELECT alert FROM gateway.delivery_target WHERE id = $1", target_id)
    assert f"failed after {policy.MAX_ATTEMPTS} attempts" in alert


async def test_during_a_rotation_both_secrets_sign(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi:
        target_id, old = await make_target(ctx, shanxi.url, "14", "province")
        async with ctx.session() as session:
            new = (
                await targets.rotate_secret(
                    session, ctx.settings, ADMIN, target_id, timedelta(hours=24), clock.now
                )
            ).value
        shanxi.secrets.append(old)  # the receiver has not switched yet
        await revision_ready(ctx, await insert_revision(db, "141124000000"))
        await run_due(ctx, db)
        assert len(shanxi.effective) == 1
        shanxi.secrets[:] = [new]  # switched
        await revision_ready(ctx, await insert_revision(db, "141102000000"))
        await run_due(ctx, db)
        assert len(shanxi.effective) == 2
        signatures = [r["headers"]["webhook-signature"].split(" ") for r in shanxi.requests]
        assert [len(s) for s in signatures] == [2, 2]
        # After the overlap only the new secret signs: a receiver still on the old refuses.
        clock.advance(timedelta(hours=25))
        shanxi.secrets[:] = [old]
        await revision_ready(ctx, await insert_revision(db, "141123000000"))
        await run_due(ctx, db)
        assert len(shanxi.requests[-1]["headers"]["webhook-signature"].split(" ")) == 1
        assert shanxi.forged == 1
