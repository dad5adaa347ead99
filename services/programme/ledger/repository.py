"""Queries of demonstration counties and their fund totals. Only flushes."""

from collections.abc import Iterable, Sequence

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from services.programme.funds.models import FundRuleSet
from services.programme.ledger.models import DemonstrationCounty
from services.programme.reference.models import ProgrammeDivision


async def county(
    session: AsyncSession, county_code: str, *, for_update: bool = False
) -> DemonstrationCounty | None:
    stmt = select(DemonstrationCounty).where(DemonstrationCounty.county_code == county_code)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt.execution_options(populate_existing=True))


async def county_name(session: AsyncSession, county_code: str) -> str:
    name = await session.scalar(
        select(ProgrammeDivision.name).where(ProgrammeDivision.code == county_code)
    )
    return name or county_code


async def rule_set_codes(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(FundRuleSet.id, FundRuleSet.code).where(FundRuleSet.id.in_(wanted))
    )
    return dict(rows.all())


async def list_counties(
    session: AsyncSession,
    params: PageParams,
    *,
    under: str | None,
    batch_year: int | None,
    published: bool | None,
) -> Sequence[Row[tuple[DemonstrationCounty, str | None]]]:
    stmt = select(DemonstrationCounty, ProgrammeDivision.name).outerjoin(
        ProgrammeDivision, ProgrammeDivision.code == DemonstrationCounty.county_code
    )
    if under is not None:
        stmt = stmt.where(DemonstrationCounty.county_code.startswith(under))
    if batch_year is not None:
        stmt = stmt.where(DemonstrationCounty.batch_year == batch_year)
    if published is not None:
        stmt = stmt.where(DemonstrationCounty.published.is_(published))
    return (await session.execute(keyset(stmt, [DemonstrationCounty.county_code], params))).all()


# Planned and paid per category and source, in one statement: budgets of projects that are
# not cancelled, payments that are not cancelled.
_FUNDS = text("""
WITH planned AS (
    SELECT category, count(*) AS projects,
           sum(budget_central) AS central, sum(budget_local) AS local,
           sum(budget_social) AS social
    FROM programme.project
    WHERE county_code = :county AND status <> 'cancelled'
    GROUP BY category
), paid AS (
    SELECT p.category,
           sum(d.amount) FILTER (WHERE d.source = 'central') AS central,
           sum(d.amount) FILTER (WHERE d.source = 'local') AS local,
           sum(d.amount) FILTER (WHERE d.source = 'social') AS social
    FROM programme.disbursement d
    JOIN programme.project p ON p.id = d.project_id
    WHERE d.county_code = :county AND NOT d.cancelled
    GROUP BY p.category
)
SELECT coalesce(pl.category, pd.category) AS category, coalesce(pl.projects, 0) AS projects,
       coalesce(pl.central, 0) AS planned_central, coalesce(pl.local, 0) AS planned_local,
       coalesce(pl.social, 0) AS planned_social,
       coalesce(pd.central, 0) AS paid_central, coalesce(pd.local, 0) AS paid_local,
       coalesce(pd.social, 0) AS paid_social
FROM planned pl FULL JOIN paid pd ON pd.category = pl.category
ORDER BY 1
""")


async def funds_by_category(session: AsyncSession, county_code: str) -> Sequence[Row[tuple]]:
    return (await session.execute(_FUNDS, {"county": county_code})).all()
