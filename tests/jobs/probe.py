"""Jobs only tests run (``ruralnet worker --feature tests.jobs.probe``): their effect is seen
from outside the worker, by a loopback HTTP server the test runs."""

from gateway.jobs import JobContext, Payload, job


@job("probe.call", max_attempts=3)
async def call(ctx: JobContext, payload: Payload) -> None:
    """POSTs its payload to ``payload["url"]``; a non-2xx answer is a failed run (retried)."""
    response = await ctx.http.post(
        payload["url"], json={**payload, "job_id": ctx.job_id, "attempt": ctx.attempt}
    )
    response.raise_for_status()
