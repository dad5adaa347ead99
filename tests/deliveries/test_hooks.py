"""A revision the documents' side makes or confirms is handed to delivery in its transaction."""

import json

import asyncpg

from gateway.jobs import JobContext
from gateway.reports.documents.context import HOOKS
from gateway.reports.documents.jobs import announce
from gateway.reports.documents.models import ReportRevision
from tests.deliveries.support import insert_revision


def test_the_gateway_app_installs_the_hook() -> None:
    import gateway.app  # noqa: F401

    assert announce in HOOKS.on_revision


async def test_a_revision_is_announced_with_its_transaction(
    ctx: JobContext, db: asyncpg.Pool
) -> None:
    revision_id = await insert_revision(db, "141124000000")
    async with ctx.session() as session:
        revision = await session.get(ReportRevision, revision_id)
        assert revision is not None
        await announce(session, revision)
        await session.rollback()
    assert await db.fetchval("SELECT count(*) FROM gateway.pgqueuer") == 0
    async with ctx.session() as session:
        revision = await session.get(ReportRevision, revision_id)
        assert revision is not None
        await announce(session, revision)
    (payload,) = await db.fetch(
        "SELECT convert_from(payload, 'UTF8') AS p FROM gateway.pgqueuer "
        "WHERE entrypoint = 'reports.revision_ready'"
    )
    assert json.loads(payload["p"]) == {"revision_id": revision_id}
