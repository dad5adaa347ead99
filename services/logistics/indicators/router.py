"""Logistics indicators and gap lists per county, prefecture, province or the nation.

The coverage indicators and the gap lists are hot reads: on the pool's asyncpg connection
(ADR 0051); the plain case of the coverage indicators and of the townships without a
courier is answered before FastAPI's routing by the endpoints below called directly
(``HOT_ROUTES``, ``common.hotpath``, ADR 0052). They are public and read no principal, so
a carrier's is not looked up in the alias table (``caller``) for them.
"""

import re
from datetime import date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from common.auth import SignedInDep, require_signed_in
from common.authz import require_division_reader
from common.cells import parse_month
from common.codelists import division_codes
from common.db import SessionDep, read_connection
from common.divisionscope import division_scope
from common.errors import BadRequest, Forbidden, NotFound, Unprocessable, problem_responses
from common.hotpath import HotRoute, Plain, answer, route_query
from common.identifiers import DivisionLevel
from common.months import add_months, china_today, current_month
from common.pagination import Page, PageParams, cursor_key, next_link, page_params
from common.reportfigures import (
    PeriodQuery,
    report_hot_route,
    report_on_connection,
    report_route,
)
from services.logistics.caller import CallerDep, SignedInCallerDep
from services.logistics.indicators import repository, service
from services.logistics.indicators.schemas import (
    CoverageIndicators,
    PlaceCarriers,
    PlacesCoverage,
    PointGap,
    ReportFigures,
    TownshipGap,
    VolumeIndicators,
)

router = APIRouter(prefix="/v1/indicators", tags=["indicators"])

DivisionQuery = Annotated[
    str | None,
    Query(
        description="division code or its prefix (14, 1411, 141124 …); the nation when absent",
        max_length=12,
        examples=["141102"],
    ),
]
READ_VOLUMES = ("read parcel volumes", "查看快递业务量")
AsOfQuery = Annotated[date | None, Query(description="the day counted; default today (China)")]
_DIVISION_PROBLEMS = (
    (NotFound, "`division_not_found`"),
    (Unprocessable, "`invalid_division`, a malformed date"),
)


@router.get(
    "/coverage",
    summary="Courier coverage of a division",
    description="Townships (镇, 乡, township-like; not 街道) reached by at least one carrier "
    "(also by one delivering at least `min_deliveries` times a week, and those with a "
    "township hub), operating or accepted village points whose village a carrier covers "
    "(overall and by mode), carriers per township, depots by kind and the shared-delivery "
    "share — as of a day. Public (政务公开). Definitions: docs/adr/0022.",
    responses=problem_responses(*_DIVISION_PROBLEMS),
)
async def coverage(
    request: Request,
    division: DivisionQuery = None,
    as_of: AsOfQuery = None,
    min_deliveries: Annotated[
        int, Query(ge=1, le=14, description="deliveries a week")
    ] = service.MIN_DELIVERIES,
) -> CoverageIndicators:
    async with read_connection(request) as conn:
        return await service.coverage(
            conn,
            division_scope(division),
            as_of=as_of or china_today(),
            min_deliveries=min_deliveries,
        )


MAX_PLACES = 200


@router.get(
    "/coverage/places",
    summary="How many carriers reach each of these townships or villages",
    description=f"For up to {MAX_PLACES} township or village codes (comma-separated): the "
    "carriers covering each on `as_of` — a township counts coverage of itself or any of its "
    "villages, as the township gap list does. What the gateway's gap lists ask in one call "
    "instead of one per place. Public.",
    responses=problem_responses(
        (
            Unprocessable,
            "`invalid_code_list`, `invalid_division_code`, `wrong_division_level` (codes)",
        )
    ),
)
async def places(
    session: SessionDep,
    principal: CallerDep,
    codes: Annotated[
        str,
        Query(
            max_length=4096,
            description="township or village codes, comma-separated",
            examples=["141124100000,141124100201"],
        ),
    ],
    as_of: AsOfQuery = None,
) -> PlacesCoverage:
    day = as_of or china_today()
    levels = [DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE]
    rows = await repository.places(
        session, division_codes(codes, levels=levels, limit=MAX_PLACES), day
    )
    return PlacesCoverage(
        as_of=day, places=[PlaceCarriers(code=r.code, carriers=r.carriers) for r in rows]
    )


@router.get(
    "/volumes",
    summary="Parcels up and down of a division by month",
    description="Sums of the daily volumes of every carrier and place in the division for each "
    "month from `from` to `to` (default the last 12 months, this one included): outbound "
    "(上行, farm produce sent) against inbound (下行, goods delivered). Not public (they are "
    "carriers' figures): officials and platforms over the division, services and admins.",
    responses=problem_responses(
        *_DIVISION_PROBLEMS, (Forbidden, "`outside_scope` or `role_forbidden`")
    ),
)
async def volumes(
    session: SessionDep,
    principal: SignedInCallerDep,
    division: DivisionQuery = None,
    first: Annotated[str | None, Query(alias="from", description="YYYY-MM")] = None,
    last: Annotated[str | None, Query(alias="to", description="YYYY-MM")] = None,
) -> VolumeIndicators:
    where = await service.resolve_division(session, division)
    require_division_reader(
        principal, where.division.code, doing=READ_VOLUMES[0], doing_zh=READ_VOLUMES[1]
    )
    last_month = _month(last, "to") if last else current_month()
    first_month = _month(first, "from") if first else add_months(last_month, -11)
    if first_month > last_month or add_months(first_month, 120) <= last_month:
        raise Unprocessable(
            "from must not be after to, and at most 10 years apart",
            detail_zh="起始月份不能晚于截止月份,且最多相隔 10 年",
            code="invalid_range",
            field="from",
            location="query",
        )
    return await service.volumes(session, where, first_month, last_month)


@router.get(
    "/report",
    **report_route(
        "logistics",
        "courier coverage on the period's last day (`/coverage`, default `min_deliveries`) and "
        "parcels by month (`/volumes`)",
        not_public="the volumes are not",
    ),
)
async def report(
    request: Request, principal: SignedInDep, period: PeriodQuery, division: DivisionQuery = None
) -> ReportFigures:
    return await report_on_connection(
        request, principal, division, period, service.report, READ_VOLUMES
    )


def _month(raw: str, field: str) -> date:
    try:
        return parse_month(raw)
    except ValueError as e:
        raise Unprocessable(
            f"{field} must be a month like 2026-09",
            detail_zh=f"{field} 应为月份,例如 2026-09",
            code="invalid_month",
            field=field,
            location="query",
        ) from e


async def _after(conn: asyncpg.Connection, params: PageParams, division: str | None) -> str:
    """The gap list's cursor key ("" on the first page). The page's statement finds the
    division too, so a bad cursor is refused before it runs: with an unknown division it is
    answered 404 first, as when the division was looked up on its own."""
    try:
        return cursor_key(params, str) or ""
    except BadRequest:
        await service.resolve_division(conn, division)
        raise


@router.get(
    "/gaps/townships-without-courier",
    summary="Townships no carrier reaches",
    description="Townships (not 街道) with no carrier covering them or any of their villages "
    "on `as_of`; by code, keyset-paginated. Public.",
    responses=problem_responses(*_DIVISION_PROBLEMS, (BadRequest, "bad cursor")),
)
async def townships_without_courier(
    request: Request,
    params: Annotated[PageParams, Depends(page_params)],
    division: DivisionQuery = None,
    as_of: AsOfQuery = None,
) -> Page[TownshipGap]:
    scope = division_scope(division)
    async with read_connection(request) as conn:
        rows = await service.township_gaps(
            conn,
            scope,
            as_of=as_of or china_today(),
            after=await _after(conn, params, division),
            limit=params.limit,
        )
    return Page(
        items=rows[: params.limit], next=next_link(request, rows, params, lambda r: [r.code])
    )


@router.get(
    "/gaps/points-without-carrier",
    summary="Operating village points no carrier reaches",
    description="Village points operating or accepted whose village no carrier covers on "
    "`as_of`; by station code, keyset-paginated. Public.",
    responses=problem_responses(*_DIVISION_PROBLEMS, (BadRequest, "bad cursor")),
)
async def points_without_carrier(
    request: Request,
    params: Annotated[PageParams, Depends(page_params)],
    division: DivisionQuery = None,
    as_of: AsOfQuery = None,
) -> Page[PointGap]:
    scope = division_scope(division)
    async with read_connection(request) as conn:
        rows = await service.point_gaps(
            conn,
            scope,
            as_of=as_of or china_today(),
            after=await _after(conn, params, division),
            limit=params.limit,
        )
    return Page(
        items=rows[: params.limit], next=next_link(request, rows, params, lambda r: [r.code])
    )


# The plain case of each, before FastAPI's routing (``common.hotpath``): the endpoint itself,
# called with the dependencies it would get; anything else goes to the route.
async def _hot_coverage(plain: Plain) -> Response:
    return answer(await coverage(plain.request, **plain.arguments(coverage)))


async def _hot_townships_without_courier(plain: Plain) -> Response:
    params = await page_params(**plain.arguments(page_params))
    gaps = await townships_without_courier(
        plain.request, params, **plain.arguments(townships_without_courier)
    )
    return answer(gaps)


async def _hot_report(plain: Plain) -> ReportFigures:
    principal = await require_signed_in(plain.principal)
    return await report(plain.request, principal, **plain.arguments(report))


_PREFIX = re.escape(router.prefix)
HOT_ROUTES = (
    report_hot_route(f"{router.prefix}/report", report, _hot_report),
    HotRoute(
        template=f"{router.prefix}/coverage",
        path=re.compile(_PREFIX + "/coverage"),
        handler=_hot_coverage,
        query=route_query(coverage),
    ),
    HotRoute(
        template=f"{router.prefix}/gaps/townships-without-courier",
        path=re.compile(_PREFIX + "/gaps/townships-without-courier"),
        handler=_hot_townships_without_courier,
        query=route_query(townships_without_courier, page_params),
    ),
)
