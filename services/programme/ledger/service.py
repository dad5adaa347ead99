"""Rules of demonstration counties (docs/adr/0042-project-ledger.md).

- A county is a demonstration county when the province (or the nation) records it with its
  batch year and fund totals: province-level officials or above, never the county itself.
  Where stations already flags the county as a demonstration county, the batch year must
  agree with that flag.
- The county's own officials choose when its ledger is published (政务公开).
"""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Row, func
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.authz import require_division_writer, require_province_writer
from common.changefeed import record_change
from common.errors import Conflict, NotFound, Unprocessable
from common.etag import check_if_match
from common.pagination import PageParams
from services.programme.changes.models import ProgrammeChangeEvent
from services.programme.divisions import COUNTY, checked_division
from services.programme.funds.check import recheck_county
from services.programme.funds.service import rule_set_for
from services.programme.ledger import repository
from services.programme.ledger.models import DemonstrationCounty, ProjectCategory
from services.programme.ledger.schemas import (
    CategoryFunds,
    CountyCreate,
    CountyOut,
    CountyPatch,
    FundsSummary,
    SourceAmounts,
)

_DOING = ("record demonstration counties", "登记示范县")


def not_a_demonstration_county(county_code: str, *, field: str, location: str) -> Unprocessable:
    return Unprocessable(
        f"{county_code} is not a demonstration county; the province records it first",
        detail_zh=f"{county_code} 不是电子商务进农村综合示范县,须先由省级主管部门登记",
        code="not_a_demonstration_county",
        field=field,
        location=location,
    )


async def demonstration_county(
    session: AsyncSession, county_code: str, *, for_update: bool = False
) -> DemonstrationCounty:
    row = await repository.county(session, county_code, for_update=for_update)
    if row is None:
        raise NotFound(
            f"{county_code} is not a demonstration county",
            detail_zh=f"{county_code} 不是示范县",
            code="demonstration_county_not_found",
        )
    return row


async def _out(
    session: AsyncSession, row: DemonstrationCounty, name: str | None = None
) -> CountyOut:
    codes = await repository.rule_set_codes(session, [row.fund_rule_set_id])
    if name is None:
        name = await repository.county_name(session, row.county_code)
    return county_out(row, name, codes.get(row.fund_rule_set_id or 0))


def county_out(row: DemonstrationCounty, name: str, rule_set: str | None) -> CountyOut:
    return CountyOut(
        county_code=row.county_code,
        county_name=name,
        batch_year=row.batch_year,
        central_funds=row.central_funds,
        local_funds=row.local_funds,
        programme_start=row.programme_start,
        programme_end=row.programme_end,
        fund_rule_set=rule_set,
        published=row.published,
        published_at=row.published_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _feed(session: AsyncSession, row: DemonstrationCounty, action: str) -> None:
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="demonstration_county",
        key=row.county_code,
        action=action,
        version=row.version,
        payload={
            "county_code": row.county_code,
            "batch_year": row.batch_year,
            "central_funds": str(row.central_funds),
            "local_funds": str(row.local_funds),
            "programme_start": row.programme_start.isoformat(),
            "programme_end": row.programme_end.isoformat() if row.programme_end else None,
            "published": row.published,
        },
    )


def _check_dates(row: DemonstrationCounty) -> None:
    if row.programme_end is not None and row.programme_end < row.programme_start:
        raise Unprocessable(
            "programme_end is before programme_start",
            detail_zh="示范期结束日期早于开始日期",
            code="programme_ends_before_start",
            field="programme_end",
        )


async def create_county(
    session: AsyncSession, body: CountyCreate, principal: Principal
) -> CountyOut:
    require_province_writer(principal, body.county_code, doing=_DOING[0], doing_zh=_DOING[1])
    division = await checked_division(session, body.county_code, COUNTY, field="county_code")
    flagged = division.demonstration_year
    if flagged is not None and flagged != body.batch_year:
        raise Unprocessable(
            f"stations records {division.name} as a demonstration county of {flagged}, not "
            f"{body.batch_year}",
            detail_zh=f"站点登记中 {division.name} 为 {flagged} 年示范县,与 {body.batch_year} 不符",
            code="batch_year_mismatch",
            field="batch_year",
            flagged_year=flagged,
        )
    if await repository.county(session, body.county_code) is not None:
        raise Conflict(
            f"{division.name} is a demonstration county already",
            detail_zh=f"{division.name} 已登记为示范县",
            code="demonstration_county_exists",
            field="county_code",
        )
    rule_set_id = await rule_set_for(
        session, body.county_code, body.batch_year, body.fund_rule_set, field="fund_rule_set"
    )
    row = DemonstrationCounty(
        county_code=body.county_code,
        fund_rule_set_id=rule_set_id,
        batch_year=body.batch_year,
        central_funds=body.central_funds,
        local_funds=body.local_funds,
        programme_start=body.programme_start,
        programme_end=body.programme_end,
        published=False,
        version=1,
        created_by=principal.subject,
    )
    _check_dates(row)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    _feed(session, row, "created")
    return await _out(session, row, division.name)


async def update_county(
    session: AsyncSession,
    county_code: str,
    patch: CountyPatch,
    principal: Principal,
    if_match: str | None,
) -> CountyOut:
    require_province_writer(principal, county_code, doing=_DOING[0], doing_zh=_DOING[1])
    row = await demonstration_county(session, county_code, for_update=True)
    check_if_match(if_match, row.version)
    for name in ("batch_year", "central_funds", "local_funds", "programme_start"):
        if name in patch.model_fields_set and getattr(patch, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed",
                detail_zh=f"{name} 不能为空",
                code="required_field",
                field=name,
            )
    fields = patch.model_fields_set - {"fund_rule_set"}
    for name in fields:
        setattr(row, name, getattr(patch, name))
    _check_dates(row)
    if "fund_rule_set" in patch.model_fields_set or "batch_year" in fields:
        row.fund_rule_set_id = await rule_set_for(
            session, county_code, row.batch_year, patch.fund_rule_set, field="fund_rule_set"
        )
    row.version += 1
    await session.flush()
    await session.refresh(row)
    _feed(session, row, "updated")
    await recheck_county(session, county_code)
    return await _out(session, row)


async def publish(
    session: AsyncSession, county_code: str, published: bool, principal: Principal
) -> CountyOut:
    """The county's officials (or above) open or close its public disclosure."""
    require_division_writer(
        principal, county_code, doing="publish the ledger", doing_zh="公开项目台账"
    )
    row = await demonstration_county(session, county_code, for_update=True)
    if row.published != published:
        row.published = published
        row.published_at = func.now() if published else None
        row.version += 1
        await session.flush()
        await session.refresh(row)
        _feed(session, row, "published" if published else "unpublished")
    return await _out(session, row)


async def read_county(session: AsyncSession, county_code: str) -> CountyOut:
    return await _out(session, await demonstration_county(session, county_code))


async def list_counties(
    session: AsyncSession,
    params: PageParams,
    *,
    under: str | None,
    batch_year: int | None,
    published: bool | None,
) -> tuple[Sequence[Row[tuple[DemonstrationCounty, str | None]]], list[CountyOut]]:
    rows = await repository.list_counties(
        session, params, under=under, batch_year=batch_year, published=published
    )
    shown = rows[: params.limit]
    codes = await repository.rule_set_codes(session, [r.fund_rule_set_id for r, _ in shown])
    return rows, [
        county_out(r, name or r.county_code, codes.get(r.fund_rule_set_id or 0))
        for r, name in shown
    ]


def _amounts(central: Decimal, local: Decimal, social: Decimal) -> SourceAmounts:
    return SourceAmounts(
        central=central, local=local, social=social, total=central + local + social
    )


async def funds(session: AsyncSession, county_code: str) -> FundsSummary:
    row = await demonstration_county(session, county_code)
    rows = await repository.funds_by_category(session, county_code)
    categories = []
    totals = {k: Decimal(0) for k in ("pc", "pl", "ps", "dc", "dl", "ds")}
    for r in rows:
        planned = _amounts(r.planned_central, r.planned_local, r.planned_social)
        paid = _amounts(r.paid_central, r.paid_local, r.paid_social)
        categories.append(
            CategoryFunds(
                category=ProjectCategory(r.category),
                projects=r.projects,
                planned=planned,
                disbursed=paid,
                remaining=_amounts(
                    planned.central - paid.central,
                    planned.local - paid.local,
                    planned.social - paid.social,
                ),
            )
        )
        for key, value in zip(
            totals,
            (r.planned_central, r.planned_local, r.planned_social, r.paid_central, r.paid_local,
             r.paid_social),
            strict=True,
        ):  # fmt: skip
            totals[key] += value
    planned = _amounts(totals["pc"], totals["pl"], totals["ps"])
    paid = _amounts(totals["dc"], totals["dl"], totals["ds"])
    return FundsSummary(
        county_code=county_code,
        central_funds=row.central_funds,
        local_funds=row.local_funds,
        unplanned_central=row.central_funds - planned.central,
        planned=planned,
        disbursed=paid,
        remaining=_amounts(
            planned.central - paid.central, planned.local - paid.local, planned.social - paid.social
        ),
        by_category=categories,
    )
