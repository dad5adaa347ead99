"""Jobs and schedules registered by the features (``@job``, ``@schedule``); the worker runs
whatever the modules in ``features.FEATURES`` registered."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.jobs.context import JobContext
from gateway.jobs.queue import Payload

Handler = Callable[[JobContext, Payload], Awaitable[None]]
ScheduledHandler = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    handler: Handler
    # Jobs of this name running at once across every worker (0: no limit).
    concurrency_limit: int
    # Runs of one job before it is given up and kept as ``failed`` for an admin (ADR 0080).
    max_attempts: int


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    cron: str
    handler: ScheduledHandler


JOBS: dict[str, JobSpec] = {}
SCHEDULES: dict[str, ScheduleSpec] = {}


def job(
    name: str, *, concurrency_limit: int = 0, max_attempts: int = 5
) -> Callable[[Handler], Handler]:
    """Register ``async def handler(ctx, payload)`` as the job ``name`` (``feature.verb``).

    An exception is a failed run: it runs again after 1 s, 2 s, 4 s … (at most 5 min apart)
    until ``max_attempts``; a handler that must keep its own retry schedule (deliveries)
    catches its failures and enqueues its next run itself.
    """

    def register(handler: Handler) -> Handler:
        if name in JOBS and JOBS[name].handler is not handler:
            raise RuntimeError(f"job {name!r} is registered twice")
        JOBS[name] = JobSpec(name, handler, concurrency_limit, max_attempts)
        return handler

    return register


def schedule(name: str, cron: str) -> Callable[[ScheduledHandler], ScheduledHandler]:
    """Register ``async def handler(ctx)`` to run on a cron expression (UTC, 5 fields), once
    per tick across every worker."""

    def register(handler: ScheduledHandler) -> ScheduledHandler:
        if name in SCHEDULES and SCHEDULES[name].handler is not handler:
            raise RuntimeError(f"schedule {name!r} is registered twice")
        SCHEDULES[name] = ScheduleSpec(name, cron, handler)
        return handler

    return register
