"""The worker process (``ruralnet worker``): runs the registered jobs and schedules from the
queue until SIGINT/SIGTERM. Any number of workers may run; each job runs on one of them."""

import asyncio
import importlib
import signal
from collections.abc import Callable, Iterable
from datetime import timedelta

import asyncpg
import httpx
import structlog
from pgqueuer import PgQueuer
from pgqueuer.adapters.drivers.asyncpg import AsyncpgPoolDriver
from pgqueuer.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Job, Schedule
from pgqueuer.types import QueueExecutionMode

from common.db import make_engine, make_sessionmaker
from common.keyring import check_keys_at_start
from common.settings import plain_database_url
from gateway.jobs.context import Clock, JobContext, system_clock
from gateway.jobs.features import FEATURES
from gateway.jobs.queue import decode, queries
from gateway.jobs.registry import JOBS, SCHEDULES, JobSpec, ScheduleSpec
from gateway.reports.deliveries import rekey
from gateway.settings import GatewaySettings

log = structlog.get_logger("gateway.jobs")


def load_features(extra: Iterable[str] = ()) -> None:
    for module in (*FEATURES, *extra):
        importlib.import_module(module)


def _retrying(
    spec: JobSpec,
) -> Callable[[EntrypointExecutorParameters], DatabaseRetryEntrypointExecutor]:
    def factory(parameters: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
        return DatabaseRetryEntrypointExecutor(
            parameters=parameters,
            max_attempts=spec.max_attempts,
            initial_delay=timedelta(seconds=1),
            max_delay=timedelta(minutes=5),
        )

    return factory


async def run_worker(
    settings: GatewaySettings,
    *,
    clock: Clock = system_clock,
    shutdown: asyncio.Event | None = None,
    drain: bool = False,
    features: Iterable[str] = (),
) -> None:
    """Run jobs until ``shutdown`` is set (or, with ``drain``, until none is due)."""
    load_features(features)
    pool = await asyncpg.create_pool(
        plain_database_url(settings.database_url),
        min_size=2,
        max_size=settings.jobs_db_pool_size,
        server_settings={"application_name": "ruralnet-gateway-worker"},
    )
    engine = make_engine(
        settings.database_url,
        application_name="ruralnet-gateway-worker",
        pool_size=settings.jobs_db_pool_size,
    )
    # It signs deliveries: refuse to start without a key a signing secret is sealed with.
    await check_keys_at_start(engine, settings, rekey.IN_USE)
    # Targets are other organisations' servers: a bounded wait, never our upstream pool.
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.jobs_http_timeout, connect=5.0),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.jobs_concurrency * 2),
    )
    base = JobContext(settings, make_sessionmaker(engine), http, clock)
    driver = AsyncpgPoolDriver(pool)
    pgq = PgQueuer(driver, queries=queries(driver))
    if shutdown is not None:
        pgq.shutdown = shutdown
        pgq.qm.shutdown = shutdown
        pgq.sm.shutdown = shutdown
    for spec in JOBS.values():
        _register_job(pgq, spec, base)
    for sched in SCHEDULES.values():
        _register_schedule(pgq, sched, base)
    log.info("worker started", jobs=sorted(JOBS), schedules=sorted(SCHEDULES))
    try:
        if drain:
            await pgq.qm.run(
                mode=QueueExecutionMode.drain,
                max_concurrent_tasks=settings.jobs_concurrency,
                heartbeat_timeout=timedelta(seconds=settings.jobs_heartbeat_seconds),
                dequeue_timeout=timedelta(seconds=settings.jobs_poll_seconds),
            )
        else:
            await pgq.run(
                max_concurrent_tasks=settings.jobs_concurrency,
                heartbeat_timeout=timedelta(seconds=settings.jobs_heartbeat_seconds),
                dequeue_timeout=timedelta(seconds=settings.jobs_poll_seconds),
            )
    finally:
        await http.aclose()
        await engine.dispose()
        await pool.close()
        log.info("worker stopped")


def _register_job(pgq: PgQueuer, spec: JobSpec, base: JobContext) -> None:
    @pgq.entrypoint(
        spec.name,
        concurrency_limit=spec.concurrency_limit,
        on_failure="hold",
        executor_factory=_retrying(spec),
    )
    async def run(job: Job) -> None:
        ctx = JobContext(
            base.settings, base.sessionmaker, base.http, base.clock, int(job.id), job.attempts + 1
        )
        await spec.handler(ctx, decode(job.payload))


def _register_schedule(pgq: PgQueuer, spec: ScheduleSpec, base: JobContext) -> None:
    @pgq.schedule(spec.name, spec.cron, clean_old=True)
    async def run(_schedule: Schedule) -> None:
        await spec.handler(base)


def serve(settings: GatewaySettings, features: Iterable[str] = ()) -> None:
    """The worker command: stops cleanly (running jobs finish) on SIGINT or SIGTERM."""

    async def main() -> None:
        shutdown = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, shutdown.set)
        await run_worker(settings, shutdown=shutdown, features=features)

    asyncio.run(main())
