"""``/v1/indicators/programme``: a division's programme progress for a period; and what the
gateway's report documents read of programme, ``/v1/indicators/report``, which has a hot
route (ADR 0100)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.requests import Request

from common.auth import PrincipalDep
from common.authz import require_division_reader
from common.db import SessionDep, read_connection
from common.errors import Unprocessable, problem_responses
from common.hotpath import Plain
from common.reportfigures import PeriodQuery, report_hot_route, report_period, report_route
from services.programme.divisions import READ, DivisionQuery
from services.programme.progress import service
from services.programme.progress.schemas import ProgrammeProgress, ReportFigures
from services.programme.statistics.service import division_prefix_of

router = APIRouter(prefix="/v1", tags=["indicators"])


@router.get(
    "/indicators/programme",
    summary="Programme progress of a division",
    description="For the demonstration counties of a county, prefecture, province or the "
    "nation, as of `to`: projects by status, milestones due, done and overdue, funds "
    "allocated, planned and paid by source and category (paid up to `to`, and from `from`), "
    "and the fund-rule breaches the last check holds. What the gateway's report documents "
    "read; officials and platforms over the division.",
    response_model=ProgrammeProgress,
    response_model_by_alias=True,
    responses=problem_responses(
        (
            Unprocessable,
            "`invalid_division_code`, `below_county` (division); `invalid_range` (from)",
        )
    ),
)
async def programme_progress(
    session: SessionDep,
    principal: PrincipalDep,
    first: Annotated[date, Query(alias="from", examples=["2026-01-01"])],
    last: Annotated[date, Query(alias="to", examples=["2026-03-31"])],
    division: DivisionQuery = None,
) -> ProgrammeProgress:
    prefix = division_prefix_of(division)
    require_division_reader(
        principal, prefix.ljust(12, "0") if prefix else None, doing=READ[0], doing_zh=READ[1]
    )
    return await service.progress(session, prefix, first, last)


@router.get(
    "/indicators/report",
    response_model=ReportFigures,
    **report_route(
        "programme",
        "programme progress from the period's first day to its last "
        "(`/v1/indicators/programme`), the county statistics (`/v1/indicators/statistics`) and, "
        "for a county, the targets it adopted (`/v1/counties/{county}/targets`)",
        not_public="the progress is not",
        division_problems=(
            (
                Unprocessable,
                "`invalid_division_code`, `below_county`, `unknown_division` … (division)",
            ),
        ),
    ),
)
async def report(
    request: Request,
    principal: PrincipalDep,
    period: PeriodQuery,
    division: DivisionQuery = None,
) -> ReportFigures:
    prefix = division_prefix_of(division)
    parsed = report_period(principal, prefix.ljust(12, "0") if prefix else None, period, READ)
    async with read_connection(request) as conn:
        return await service.report(conn, prefix, parsed)


async def _hot_report(plain: Plain) -> ReportFigures:
    return await report(plain.request, plain.principal, **plain.arguments(report))


HOT_REPORT = report_hot_route(f"{router.prefix}/indicators/report", report, _hot_report)
