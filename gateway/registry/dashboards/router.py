"""``/registry/v1/dashboards/{division}``: a division against its policy targets."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from gateway.registry.caller import CallerDep
from gateway.registry.context import RegistryDep
from gateway.registry.dashboards import service
from gateway.registry.dashboards.schemas import Dashboard
from gateway.registry.periods import PeriodDep

router = APIRouter(prefix="/registry/v1", tags=["registry"])

DivisionPath = Annotated[
    str,
    Path(
        max_length=12,
        description="province, prefecture or county: 2, 4, 6 or 12 digits",
        examples=["1411"],
    ),
]
SortQuery = Annotated[
    str,
    Query(
        max_length=48,
        description="children order: `worst` (worst target status first, then furthest from "
        "its target), `code`, or an indicator code (lowest value first)",
    ),
]
DASHBOARD_PROBLEMS = problem_responses(
    (Unauthorized, "`authentication_required`: dashboards are for officials"),
    (Forbidden, "`outside_scope`, `role_forbidden`"),
    (NotFound, "`division_not_found`"),
    (
        Unprocessable,
        "`invalid_division_code`, `wrong_division_level` (division); `invalid_period`, "
        "`future_period` (period); `invalid_sort` (sort)",
    ),
    (ServiceUnavailable, "`divisions_unavailable`: stations cannot say which divisions it holds"),
)


@router.get(
    "/dashboards/{division}",
    summary="A division against its policy targets",
    description="Every indicator of the vocabulary (`GET /programme/v1/indicators`) the "
    "services compute for the division in `period` (default this year; a running period "
    "counts to today), and every target it is measured against (a county: the sets it "
    "adopted; a prefecture or province: the sets of its region and of the regions holding "
    "it), each with value, target, gap, deadline and status — met, on_track, behind, "
    "overdue or no_data, by the rule of ADR 0071. The same for each child division (a "
    "province's prefectures, a prefecture's counties, a county's townships), ordered by "
    "`sort`. A service that fails leaves its figures out, `partial: true` and an entry in "
    "`errors`. Officials and platforms over the division, admins.",
    response_model=Dashboard,
    response_model_by_alias=True,
    responses=DASHBOARD_PROBLEMS,
)
async def dashboard(
    division: DivisionPath,
    caller: CallerDep,
    registry: RegistryDep,
    window: PeriodDep,
    sort: SortQuery = "worst",
) -> Dashboard:
    return await service.dashboard(registry.upstream, caller, division, window, sort)
