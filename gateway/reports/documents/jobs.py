"""Report generation as jobs (ADR 0080/0081): ``reports.generate`` makes or confirms one
document, or fans a prefix out into one job per division; every revision made or confirmed
is announced to delivery (``reports.revision_ready``, ADR 0082) in its own transaction."""

from common.bulkwrite import Database, connection_of
from gateway.jobs import JobContext, Payload, enqueue, enqueue_on, job
from gateway.reports.deliveries.jobs import REVISION_READY
from gateway.reports.documents import runs
from gateway.reports.documents.context import HOOKS
from gateway.reports.documents.models import ReportRevision


async def announce(db: Database, revision: ReportRevision) -> None:
    await enqueue_on(await connection_of(db), REVISION_READY, {"revision_id": revision.id})


# The POST route's generation announces its revisions too (the gateway app imports this).
if announce not in HOOKS.on_revision:
    HOOKS.on_revision.append(announce)


@job(runs.GENERATE)
async def generate(ctx: JobContext, payload: Payload) -> None:
    fanned = await runs.run(
        ctx.settings,
        ctx.session,
        payload,
        now=ctx.clock(),
        request_id=f"job-{ctx.job_id}",
        hooks=HOOKS.on_revision,
    )
    async with ctx.session() as session:
        for p in fanned:
            await enqueue(
                session,
                runs.GENERATE,
                p,
                dedupe_key=f"generate:{p['document_type']}:{p['division']}:{p['period']}",
            )
