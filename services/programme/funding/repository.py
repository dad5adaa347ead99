"""Queries of what funds one station. Read only."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.programme.ledger.models import Disbursement, Project, ProjectStation

# A station's payments are few; this bounds an answer whatever a ledger holds.
MAX_DISBURSEMENTS = 500


async def projects_of(
    session: AsyncSession, county_code: str, station_code: str
) -> Sequence[Row[tuple[Project, Decimal, Decimal]]]:
    paid = (
        select(func.coalesce(func.sum(Disbursement.amount), 0))
        .where(
            Disbursement.project_id == Project.id,
            Disbursement.station_code == station_code,
            Disbursement.county_code == county_code,
            ~Disbursement.cancelled,
        )
        .scalar_subquery()
    )
    stmt = (
        select(Project, ProjectStation.allocation, paid)
        .join(ProjectStation, ProjectStation.project_id == Project.id)
        .where(Project.county_code == county_code, ProjectStation.station_code == station_code)
        .order_by(Project.code)
    )
    return (await session.execute(stmt)).all()


async def disbursements_of(
    session: AsyncSession, county_code: str, station_code: str
) -> Sequence[Row[tuple[Disbursement, str]]]:
    stmt = (
        select(Disbursement, Project.code)
        .join(Project, Project.id == Disbursement.project_id)
        .where(Disbursement.county_code == county_code, Disbursement.station_code == station_code)
        .order_by(Disbursement.id)
        .limit(MAX_DISBURSEMENTS)
    )
    return (await session.execute(stmt)).all()
