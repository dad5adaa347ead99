"""``/registry/v1/gaps/{kind}``: places the network leaves out, across services."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from common.errors import BadRequest, NotFound, ServiceUnavailable, Unprocessable, problem_responses
from common.pagination import PageParams, page_params
from gateway.registry.caller import CallerDep
from gateway.registry.context import RegistryDep
from gateway.registry.divisions import division_filter
from gateway.registry.gaps import service
from gateway.registry.gaps.schemas import GapKind, GapPage
from gateway.registry.periods import PeriodDep

router = APIRouter(prefix="/registry/v1", tags=["registry"])

DivisionQuery = Annotated[
    str | None,
    Query(
        max_length=12,
        description="division code or its prefix (14, 1411, 141102, 141102100); the whole "
        "country when absent",
        examples=["141102"],
    ),
]
GAP_PROBLEMS = problem_responses(
    (BadRequest, "`invalid_cursor`"),
    (NotFound, "`division_not_found`"),
    (
        Unprocessable,
        "`invalid_division_code`, `wrong_division_level` (division); `invalid_period`, "
        "`future_period` (period)",
    ),
    (ServiceUnavailable, "`gap_source_unavailable`: a service the list needs did not answer"),
)


@router.get(
    "/gaps/{kind}",
    summary="Gap lists across services",
    description="`points-without-carrier`: operating or accepted village points whose "
    "village no carrier covers (logistics); `points-without-trained`: village committees "
    "with such a point where no resident was trained in `period` (training); "
    "`townships-without-courier`: townships with an operating or accepted station that no "
    "carrier covers, the township or any of its villages; `poor-villages-unserved`: "
    "registered poor villages with no operating point, no carrier and nobody trained in "
    "`period`. Each row says why (`reasons`, `reason`, `reason_zh`). Ordered by station "
    "code (by village code for poor villages), keyset-paginated: a page may hold fewer rows "
    "than `limit` — follow `next` to the end. Public (政务公开), as the services' own gap "
    "lists are.",
    response_model=GapPage,
    responses=GAP_PROBLEMS,
)
async def gaps(
    request: Request,
    kind: Annotated[GapKind, Path(description="which list")],
    caller: CallerDep,
    registry: RegistryDep,
    window: PeriodDep,
    params: Annotated[PageParams, Depends(page_params)],
    division: DivisionQuery = None,
) -> GapPage:
    prefix = await division_filter(registry.upstream, caller, division)
    return await service.gap_page(request, registry.upstream, caller, kind, prefix, window, params)
