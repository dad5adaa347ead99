"""What the public may read of a county's programme (docs/adr/0042): only a county whose
officials published it; for others the county is simply not there (404)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import NotFound
from common.pagination import PageParams
from services.programme.disclosure.schemas import Disclosure, PublicProject, PublishedCounty
from services.programme.ledger import repository as ledger
from services.programme.ledger import service as counties
from services.programme.ledger.models import DemonstrationCounty, Project
from services.programme.projects import service as projects
from services.programme.targets import service as targets


async def _published(session: AsyncSession, county_code: str) -> DemonstrationCounty:
    row = await ledger.county(session, county_code)
    if row is None or not row.published:
        raise NotFound(
            f"county {county_code} has published no demonstration programme",
            detail_zh=f"{county_code} 尚未公开电子商务进农村综合示范信息",
            code="not_published",
        )
    return row


def _county(row: DemonstrationCounty, name: str) -> PublishedCounty:
    return PublishedCounty(
        county_code=row.county_code,
        county_name=name,
        batch_year=row.batch_year,
        central_funds=row.central_funds,
        local_funds=row.local_funds,
        programme_start=row.programme_start,
        programme_end=row.programme_end,
        published_at=row.published_at,
    )


async def disclosure(session: AsyncSession, county_code: str) -> Disclosure:
    row = await _published(session, county_code)
    funds = await counties.funds(session, county_code)
    adopted = await targets.county_targets(session, county_code)
    return Disclosure(
        county=_county(row, await ledger.county_name(session, county_code)),
        targets=[a.target_set for a in adopted.adoptions],
        planned=funds.planned,
        disbursed=funds.disbursed,
        remaining=funds.remaining,
        by_category=funds.by_category,
        projects=sum(c.projects for c in funds.by_category),
    )


async def published_counties(
    session: AsyncSession, params: PageParams, under: str | None
) -> tuple[Sequence[object], list[PublishedCounty]]:
    rows = await ledger.list_counties(session, params, under=under, batch_year=None, published=True)
    return rows, [_county(r, name or r.county_code) for r, name in rows[: params.limit]]


async def public_projects(
    session: AsyncSession, county_code: str, params: PageParams
) -> tuple[Sequence[Project], list[PublicProject]]:
    await _published(session, county_code)
    rows, summaries = await projects.list_projects(
        session, params, county_code=county_code, under=None, categories=[], statuses=[]
    )
    return rows, [
        PublicProject(
            code=s.code,
            name=s.name,
            category=s.category,
            company=s.company,
            status=s.status,
            budget=s.budget,
            disbursed=s.disbursed,
            milestones=s.milestones,
            milestones_done=s.milestones_done,
            milestones_overdue=s.milestones_overdue,
        )
        for s in summaries
    ]
