"""The delivery jobs (ADR 0080/0081) and the monthly schedule of every target."""

from common.auth import NATION
from gateway.jobs import JobContext, Payload, enqueue, job, schedule
from gateway.reports.deliveries import service
from gateway.reports.targets import repository as targets
from gateway.reports.targets.schedule import next_run, periods_of_run

# Names that cross into the documents' side (reporting-contract.md).
REVISION_READY = "reports.revision_ready"
GENERATE = "reports.generate"


# Its own retry schedule (policy.py): a failed POST is recorded and re-queued, never raised.
@job(service.DELIVER, max_attempts=3)
async def deliver(ctx: JobContext, payload: Payload) -> None:
    await service.attempt(ctx, int(payload["delivery_id"]))


@job(REVISION_READY)
async def revision_ready(ctx: JobContext, payload: Payload) -> None:
    async with ctx.session() as session:
        await service.revision_ready(session, int(payload["revision_id"]), ctx.clock())


@schedule("reports.targets_due", "* * * * *")
async def targets_due(ctx: JobContext) -> None:
    """Each minute: every target whose run is due asks for its periods' documents (the
    documents' ``reports.generate``, which then hands each revision to ``revision_ready``)."""
    await run_due_targets(ctx)


async def run_due_targets(ctx: JobContext) -> int:
    now = ctx.clock()
    asked = 0
    async with ctx.session() as session:
        for target in await targets.due(session, now):
            for period in periods_of_run(
                target.next_run_at, target.schedule_timezone, target.periods
            ):
                for document_type in target.document_types:
                    # The documents' side names the nation by its all-zero code.
                    division = "000000000000" if target.division == NATION else target.division
                    key = f"generate:{document_type}:{division}:{period}"
                    await enqueue(
                        session,
                        GENERATE,
                        {
                            "document_type": document_type,
                            "division": division,
                            "period": period,
                        },
                        dedupe_key=key,
                    )
                    asked += 1
            target.next_run_at = next_run(
                target.schedule_day, target.schedule_time, target.schedule_timezone, now
            )
    return asked
