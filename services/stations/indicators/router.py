"""Network indicators per county, prefecture, province or the nation, computed in SQL.

The network indicators, the sales and the gap lists are hot reads: on the pool's asyncpg
connection (ADR 0051), and their plain case answered before FastAPI's routing by the
endpoints below called directly (``HOT_ROUTES``, ``common.hotpath``, ADR 0052).
"""

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from common.auth import SignedInDep, require_signed_in
from common.authz import require_division_reader
from common.db import read_connection
from common.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.hotpath import HotRoute, Plain, answer, route_query
from common.months import add_months
from common.pagination import Page, PageParams, next_link, page_params
from common.reportfigures import (
    PeriodQuery,
    report_hot_route,
    report_on_connection,
    report_route,
)
from services.stations.indicators import service
from services.stations.indicators.schemas import (
    Gap,
    GapKind,
    NetworkIndicators,
    ReportFigures,
    Sales,
)
from services.stations.reports.router import DivisionQuery, MonthQueryDep, month_query
from services.stations.reports.schemas import parse_month
from services.stations.reports.service import last_finished_month

router = APIRouter(prefix="/v1/indicators", tags=["indicators"])

PageDep = Annotated[PageParams, Depends(page_params)]
READ_SALES = ("read sales", "查看销售额")
_DIVISION_PROBLEMS = (
    (NotFound, "no such division"),
    (Unprocessable, "a malformed division code or month"),
)


@router.get(
    "/network",
    summary="Network indicators of a division",
    description=(
        "Stations by tier and status; township coverage (镇, 乡 and township-like units with "
        "an operating or accepted township station, 街道 not counted); village-committee "
        "coverage (seq 200–399, with an operating or accepted village point); the same over "
        "registered poor villages; and the reporting rate of a finished month (default the "
        "last one). Only current division codes count in denominators."
    ),
    responses=problem_responses(*_DIVISION_PROBLEMS),
)
async def network(
    request: Request, month: MonthQueryDep, division: DivisionQuery = None
) -> NetworkIndicators:
    # A hot read: on the pool's asyncpg connection, no session (ADR 0051).
    async with read_connection(request) as conn:
        return await service.network(conn, service.division_scope(division), month)


@router.get(
    "/sales",
    summary="Upward and downward sales of a division by month",
    description=(
        "Sums of the monthly reports of every station in the division, for each month from "
        "`from` to `to` (default: the last 12 finished months), and their total. Not public "
        "(a village's sums are its station's figures): officials and platforms over the "
        "division (national ones without `division`), services and admins."
    ),
    response_model_by_alias=True,
    responses=problem_responses(
        *_DIVISION_PROBLEMS,
        (Unauthorized, "`authentication_required`: not public"),
        (Forbidden, "`outside_scope` or `role_forbidden`"),
    ),
)
async def sales(
    request: Request,
    principal: SignedInDep,
    division: DivisionQuery = None,
    first: Annotated[
        str | None, Query(alias="from", description="YYYY-MM", examples=["2026-01"])
    ] = None,
    last: Annotated[
        str | None, Query(alias="to", description="YYYY-MM", examples=["2026-09"])
    ] = None,
) -> Sales:
    last_month = parse_month(last, field="to", location="query") if last else last_finished_month()
    first_month = (
        parse_month(first, field="from", location="query") if first else add_months(last_month, -11)
    )
    async with read_connection(request) as conn:
        where = await service.resolve_division(conn, division)
        require_division_reader(
            principal, where.division.code, doing=READ_SALES[0], doing_zh=READ_SALES[1]
        )
        return await service.sales(conn, where, first_month, last_month)


@router.get(
    "/report",
    **report_route(
        "stations",
        "the network indicators with the reporting rate of the period's last month "
        "(`/network`), sales by month (`/sales`) and the reporting rate of every month "
        "(`/reports/rate`)",
        not_public="sales are not",
    ),
)
async def report(
    request: Request, principal: SignedInDep, period: PeriodQuery, division: DivisionQuery = None
) -> ReportFigures:
    return await report_on_connection(
        request, principal, division, period, service.report, READ_SALES
    )


@router.get(
    "/gaps/{kind}",
    summary="Units of a division without an operating station",
    description=(
        "`townships`: townships (not 街道) without an operating or accepted township station; "
        "`villages`: village committees without such a village point; `poor_villages`: "
        "registered poor villages without one. By division code; keyset-paginated. Each gap "
        "names the planned, building or suspended station it may already have."
    ),
    responses=problem_responses(*_DIVISION_PROBLEMS, (BadRequest, "bad cursor")),
)
async def gaps(
    request: Request,
    kind: Annotated[GapKind, Path(description="which gap list")],
    params: PageDep,
    division: DivisionQuery = None,
) -> Page[Gap]:
    # A hot read: on the pool's asyncpg connection, no session (ADR 0051).
    async with read_connection(request) as conn:
        where = await service.resolve_division(conn, division)
        rows = await service.gaps(conn, where, kind, params)
    return Page(
        items=rows[: params.limit], next=next_link(request, rows, params, lambda row: [row.code])
    )


# The plain case of each, before FastAPI's routing (``common.hotpath``): the endpoint itself,
# called with the dependencies it would get; anything else goes to the route.
async def _hot_network(plain: Plain) -> Response:
    month = await month_query(**plain.arguments(month_query))
    return answer(await network(plain.request, month, **plain.arguments(network)))


async def _hot_sales(plain: Plain) -> Response:
    principal = await require_signed_in(plain.principal)
    return answer(await sales(plain.request, principal, **plain.arguments(sales)))


async def _hot_gaps(plain: Plain) -> Response:
    kind = GapKind(plain.params["kind"])  # not one: the route's 422
    params = await page_params(**plain.arguments(page_params))
    return answer(await gaps(plain.request, kind, params, **plain.arguments(gaps)))


async def _hot_report(plain: Plain) -> ReportFigures:
    principal = await require_signed_in(plain.principal)
    return await report(plain.request, principal, **plain.arguments(report))


_PREFIX = re.escape(router.prefix)
HOT_ROUTES = (
    report_hot_route(f"{router.prefix}/report", report, _hot_report),
    HotRoute(
        template=f"{router.prefix}/network",
        path=re.compile(_PREFIX + "/network"),
        handler=_hot_network,
        query=route_query(network, month_query),
    ),
    HotRoute(
        template=f"{router.prefix}/sales",
        path=re.compile(_PREFIX + "/sales"),
        handler=_hot_sales,
        query=route_query(sales),
    ),
    HotRoute(
        template=f"{router.prefix}/gaps/{{kind}}",
        path=re.compile(_PREFIX + r"/gaps/(?P<kind>[^/]+)"),
        handler=_hot_gaps,
        query=route_query(gaps, page_params),
    ),
)
