"""The retry schedule and the monthly run, as ADR 0082 documents them."""

import json
import random
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from gateway.jobs import JobContext
from gateway.reports.deliveries import policy
from gateway.reports.deliveries.jobs import run_due_targets
from gateway.reports.targets.schedule import next_run, period_kind, periods_of_run
from tests.deliveries.support import FakeClock
from tests.deliveries.targets import make_target


def test_the_schedule_outlasts_a_day_even_with_the_least_jitter() -> None:
    class Least(random.Random):
        def random(self) -> float:
            return 0.0

    waits = [policy.backoff(n, Least()) for n in range(1, policy.MAX_ATTEMPTS)]
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert max(waits) == policy.MAX_DELAY
    assert sum(waits, timedelta()) >= timedelta(hours=24)
    assert policy.next_wait(policy.MAX_ATTEMPTS, None) is None


def test_jitter_spreads_waits_upwards_only() -> None:
    rng = random.Random(7)
    waits = [policy.backoff(3, rng) for _ in range(200)]
    assert min(waits) >= timedelta(minutes=2)
    assert max(waits) < timedelta(minutes=2) * (1 + policy.JITTER)
    assert len(set(waits)) > 100


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(seconds=120)),
        ("Wed, 02 Dec 2026 03:00:00 GMT", timedelta(hours=1)),
        ("999999999", policy.MAX_RETRY_AFTER),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, wait: timedelta | None) -> None:
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert policy.retry_after(header, now) == wait


def test_a_longer_retry_after_wins_over_the_backoff() -> None:
    assert policy.next_wait(1, timedelta(minutes=15)) == timedelta(minutes=15)
    assert policy.next_wait(1, timedelta(seconds=1)) >= policy.FIRST_DELAY  # type: ignore[operator]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"), (202, "delivered"), (410, "gone"), (400, "rejected"),
        (401, "rejected"), (404, "rejected"), (301, "rejected"), (408, "retry"),
        (429, "retry"), (500, "retry"), (503, "retry"),
    ],
)  # fmt: skip
def test_what_an_answer_means(status: int, outcome: str) -> None:
    assert policy.outcome_of(status) == outcome


def test_the_5th_at_2_china_time_for_the_previous_month() -> None:
    after = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    run = next_run(5, time(2, 0), "Asia/Shanghai", after)
    assert run == datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert next_run(5, time(2, 0), "Asia/Shanghai", run) == datetime(2027, 1, 4, 18, 0, tzinfo=UTC)
    assert periods_of_run(run, "Asia/Shanghai", ["month", "quarter", "year"]) == ["2026-11"]
    january = datetime(2027, 1, 4, 18, 0, tzinfo=UTC)
    assert periods_of_run(january, "Asia/Shanghai", ["month", "quarter", "year"]) == [
        "2026-12",
        "2026-Q4",
        "2026",
    ]
    assert [period_kind(p) for p in ("2026-11", "2026-Q4", "2026", "2026-13")] == [
        "month",
        "quarter",
        "year",
        None,
    ]


async def test_a_due_target_asks_for_its_documents_once(
    ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    target_id, _ = await make_target(ctx, "https://ec.shanxi.example.gov.cn/r", "14", "province")
    assert await run_due_targets(ctx) == 0
    clock.now = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert await run_due_targets(ctx) == 1
    assert await run_due_targets(ctx) == 0  # the next run is next month
    (job,) = await db.fetch(
        "SELECT convert_from(payload, 'UTF8') AS payload FROM gateway.pgqueuer "
        "WHERE entrypoint = 'reports.generate'"
    )
    assert json.loads(job["payload"]) == {
        "division": "14",
        "document_type": "county-report",
        "period": "2026-11",
    }
    next_at = await db.fetchval(
        "SELECT next_run_at FROM gateway.delivery_target WHERE id = $1", target_id
    )
    assert next_at == datetime(2027, 1, 4, 18, 0, tzinfo=UTC)
