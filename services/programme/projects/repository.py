"""Queries of projects, their milestones and links. Only flushes; the request scope commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from services.programme.ledger.models import (
    Disbursement,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectStation,
    ProjectTrainingSession,
)


async def lock_county_projects(session: AsyncSession, county_code: str) -> None:
    """Serialise project numbering within a county."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"programme:projects:{county_code}"},
    )


async def last_seq(session: AsyncSession, county_code: str) -> int:
    return (
        await session.scalar(
            select(func.coalesce(func.max(Project.seq), 0)).where(
                Project.county_code == county_code
            )
        )
        or 0
    )


async def project(session: AsyncSession, code: str, *, for_update: bool = False) -> Project | None:
    stmt = select(Project).where(Project.code == code).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


@dataclass(frozen=True)
class Paid:
    central: Decimal = Decimal(0)
    local: Decimal = Decimal(0)
    social: Decimal = Decimal(0)


def _paid_query() -> Select[tuple[int, Decimal, Decimal, Decimal]]:
    def by(source: str) -> object:
        return func.coalesce(
            func.sum(case((Disbursement.source == source, Disbursement.amount))), 0
        )

    return select(Disbursement.project_id, by("central"), by("local"), by("social")).where(
        Disbursement.cancelled.is_(False)
    )


async def paid(session: AsyncSession, project_ids: Sequence[int]) -> dict[int, Paid]:
    """What was paid of each project, by source (cancelled payments do not count)."""
    if not project_ids:
        return {}
    rows = await session.execute(
        _paid_query()
        .where(Disbursement.project_id.in_(project_ids))
        .group_by(Disbursement.project_id)
    )
    return {pid: Paid(c, lo, s) for pid, c, lo, s in rows}


async def paid_per_station(session: AsyncSession, project_id: int) -> dict[str, Decimal]:
    rows = await session.execute(
        select(Disbursement.station_code, func.sum(Disbursement.amount))
        .where(
            Disbursement.project_id == project_id,
            Disbursement.cancelled.is_(False),
            Disbursement.station_code.is_not(None),
        )
        .group_by(Disbursement.station_code)
    )
    return dict(rows.all())


async def milestones(session: AsyncSession, project_id: int) -> Sequence[Milestone]:
    return (
        await session.scalars(
            select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.id)
        )
    ).all()


async def milestone_for_update(
    session: AsyncSession, project_id: int, milestone_id: int
) -> Milestone | None:
    return await session.scalar(
        select(Milestone)
        .where(Milestone.project_id == project_id, Milestone.id == milestone_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def stations(session: AsyncSession, project_id: int) -> Sequence[ProjectStation]:
    return (
        await session.scalars(
            select(ProjectStation)
            .where(ProjectStation.project_id == project_id)
            .order_by(ProjectStation.station_code)
        )
    ).all()


async def station_link(
    session: AsyncSession, project_id: int, station_code: str
) -> ProjectStation | None:
    return await session.get(ProjectStation, (project_id, station_code))


async def training_sessions(session: AsyncSession, project_id: int) -> list[int]:
    return list(
        (
            await session.scalars(
                select(ProjectTrainingSession.session_id)
                .where(ProjectTrainingSession.project_id == project_id)
                .order_by(ProjectTrainingSession.session_id)
            )
        ).all()
    )


async def training_link(
    session: AsyncSession, project_id: int, session_id: int
) -> ProjectTrainingSession | None:
    return await session.get(ProjectTrainingSession, (project_id, session_id))


@dataclass(frozen=True)
class Counts:
    milestones: int = 0
    done: int = 0
    overdue: int = 0
    stations: int = 0


async def list_projects(
    session: AsyncSession,
    params: PageParams,
    *,
    county_code: str | None,
    under: str | None,
    categories: Sequence[str],
    statuses: Sequence[str],
) -> Sequence[Project]:
    stmt = select(Project)
    if county_code is not None:
        stmt = stmt.where(Project.county_code == county_code)
    if under is not None:
        stmt = stmt.where(Project.county_code.startswith(under))
    if categories:
        stmt = stmt.where(Project.category.in_(categories))
    if statuses:
        stmt = stmt.where(Project.status.in_(statuses))
    return (await session.scalars(keyset(stmt, [Project.code], params))).all()


async def counts(
    session: AsyncSession, project_ids: Sequence[int], today: date
) -> dict[int, Counts]:
    if not project_ids:
        return {}
    done = Milestone.status == MilestoneStatus.DONE.value
    milestone_rows = await session.execute(
        select(
            Milestone.project_id,
            func.count(),
            func.count().filter(done),
            func.count().filter(~done, Milestone.deadline < today),
        )
        .where(Milestone.project_id.in_(project_ids))
        .group_by(Milestone.project_id)
    )
    station_rows = await session.execute(
        select(ProjectStation.project_id, func.count())
        .where(ProjectStation.project_id.in_(project_ids))
        .group_by(ProjectStation.project_id)
    )
    stations_of = dict(station_rows.all())
    result = {
        pid: Counts(total, d, o, stations_of.get(pid, 0)) for pid, total, d, o in milestone_rows
    }
    for pid, n in stations_of.items():
        result.setdefault(pid, Counts(stations=n))
    return result
