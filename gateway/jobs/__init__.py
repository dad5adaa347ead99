"""Durable jobs on the gateway's database (pgqueuer, ADR 0080).

- ``enqueue(session, "feature.verb", {...})``: queue a job in the session's transaction;
- ``@job("feature.verb")`` / ``@schedule("feature.verb", "0 * * * *")``: register a handler in
  the feature's ``jobs`` module, listed in ``gateway/jobs/features.py``;
- ``ruralnet worker``: the process that runs them (``ruralnet run`` and compose start one).
"""

from gateway.jobs.context import Clock, JobContext, system_clock
from gateway.jobs.queue import Payload, enqueue, enqueue_on
from gateway.jobs.registry import job, schedule

__all__ = [
    "Clock",
    "JobContext",
    "Payload",
    "enqueue",
    "enqueue_on",
    "job",
    "schedule",
    "system_clock",
]
