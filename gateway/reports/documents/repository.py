"""Queries of the report revisions (``gateway.report_revision``)."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.reports.documents.models import ReportRevision

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def lock(session: AsyncSession, key: str) -> None:
    """Serialise the makers of one document's revisions until the transaction ends: two
    generations of one period at once make one revision, not two with the same number."""
    await session.execute(_LOCK, {"key": f"report_revision:{key}"})


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
