"""Queries of the report revisions (``gateway.report_revision``)."""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulkwrite import Database, connection_of
from common.db import RawStatement
from gateway.reports.documents.models import ReportRevision

# migrations/gateway 0008 (ADR 0095): under an advisory transaction lock on the document and
# period, the latest revision stands if its hash is the content's, else the next one is
# inserted naming it — one statement instead of the lock, the read, the insert and its
# created_at, and the superseded revision's read.
_STORE = RawStatement(
    text(
        "SELECT * FROM gateway.store_report_revision("
        ":document, :version, :division, :period, :body, :digest, :created_by)"
    )
)


class Stored(NamedTuple):
    """The revision that stands after a generation, and the one it supersedes."""

    id: int
    revision: int
    created_by: str
    created_at: datetime
    created: bool  # made now (else the latest revision had the same content)
    supersedes_id: int | None
    supersedes_revision: int | None
    supersedes_hash: str | None


async def store(
    db: Database,
    document: str,
    version: str,
    division: str,
    period: str,
    body: bytes,
    digest: str,
    created_by: str,
) -> Stored:
    """Make or confirm a revision in the transaction of ``db`` (a session's, or one opened on
    a pooled connection). The lock it takes serialises the makers of one document and period
    until the transaction ends: two generations at once make one revision, not two with the
    same number."""
    row = await _STORE.fetchrow(
        await connection_of(db),
        document=document,
        version=version,
        division=division,
        period=period,
        body=body,
        digest=digest,
        created_by=created_by,
    )
    assert row is not None  # the function answers one row, made or confirmed
    return Stored(*row.values())


def _of(document: str, version: str, division: str, period: str) -> tuple[ColumnElement[bool], ...]:
    return (
        ReportRevision.document_type == document,
        ReportRevision.document_version == version,
        ReportRevision.division == division,
        ReportRevision.period == period,
    )


async def latest(
    session: AsyncSession, document: str, version: str, division: str, period: str
) -> ReportRevision | None:
    statement = (
        select(ReportRevision)
        .where(*_of(document, version, division, period))
        .order_by(ReportRevision.revision.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def numbered(
    session: AsyncSession, document: str, version: str, division: str, period: str, number: int
) -> ReportRevision | None:
    statement = select(ReportRevision).where(
        *_of(document, version, division, period), ReportRevision.revision == number
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def by_id(session: AsyncSession, revision_id: int) -> ReportRevision | None:
    return await session.get(ReportRevision, revision_id)


async def all_of(
    session: AsyncSession, document: str, version: str, division: str, period: str
) -> Sequence[ReportRevision]:
    statement = (
        select(ReportRevision)
        .where(*_of(document, version, division, period))
        .order_by(ReportRevision.revision.desc())
    )
    return (await session.execute(statement)).scalars().all()
