"""County statistics (rural and farm-produce online retail, shops, employment), main rural
products, and the figures of the indicator vocabulary computed from them."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.authz import require_division_reader
from common.db import SessionDep
from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.periods import PERIOD_EXAMPLES, PeriodKind, parse_period
from services.programme.divisions import (
    COUNTY_PROBLEMS,
    READ,
    CountyPath,
    DivisionQuery,
    ReadableCounty,
)
from services.programme.statistics import service
from services.programme.statistics.schemas import (
    PeriodStatistics,
    ProductIn,
    ProductList,
    ProductOut,
    ProductPatch,
    Revisions,
    StatisticsIndicators,
    StatisticsList,
    StatisticsPut,
)

router = APIRouter(prefix="/v1", tags=["county statistics"])

PeriodPath = Annotated[
    str, Path(max_length=16, description=f"a year, quarter or month: {PERIOD_EXAMPLES}")
]
_FORBIDDEN = (Forbidden, "`role_forbidden`; `outside_scope`: outside your division")
_COUNTY = COUNTY_PROBLEMS
_PERIOD = "`invalid_period`, `period_not_finished` (period)"


@router.put(
    "/counties/{county_code}/statistics/{period}",
    summary="Record a county's statistics for a period",
    description="Rural online retail (农村网络零售额), farm-produce online retail (农产品网络"
    "零售额), online shops (网店数) and people employed (带动就业人数), each with its source. "
    "A changed value or source is the next revision; figures not sent stay as they are.",
    response_model=PeriodStatistics,
    responses=problem_responses(
        _FORBIDDEN,
        (
            Unprocessable,
            f"{_COUNTY}; {_PERIOD}; `unknown_figure`, `duplicate_figure`, `negative_figure`, "
            "`not_whole_number` (field figures[i].…); several: `invalid_figures`",
        ),
    ),
)
async def record_statistics(
    county_code: CountyPath,
    period: PeriodPath,
    body: StatisticsPut,
    session: SessionDep,
    principal: PrincipalDep,
) -> PeriodStatistics:
    return await service.record(session, county_code, parse_period(period), body, principal)


@router.get(
    "/counties/{county_code}/statistics",
    summary="A county's statistics",
    description="Every period recorded, oldest first, optionally one kind and a range.",
    response_model=StatisticsList,
    responses=problem_responses((Unprocessable, f"{_COUNTY}; `invalid_period` (from, to)")),
)
async def list_statistics(
    county_code: ReadableCounty,
    session: SessionDep,
    kind: Annotated[PeriodKind | None, Query(description="only this kind of period")] = None,
    first: Annotated[
        str | None, Query(alias="from", max_length=16, description="first period, e.g. 2016")
    ] = None,
    last: Annotated[
        str | None, Query(alias="to", max_length=16, description="last period, e.g. 2018")
    ] = None,
) -> StatisticsList:
    first_period = (
        parse_period(first, field="from", location="query", finished=False) if first else None
    )
    last_period = parse_period(last, field="to", location="query", finished=False) if last else None
    return await service.list_statistics(
        session,
        county_code,
        kind=kind,
        first=first_period.start if first_period else None,
        last=last_period.start if last_period else None,
    )


@router.get(
    "/counties/{county_code}/statistics/{period}/{figure}/revisions",
    summary="The revisions of one figure",
    response_model=Revisions,
    responses=problem_responses(
        (NotFound, "`statistic_not_found`"), (Unprocessable, f"{_COUNTY}; {_PERIOD}")
    ),
)
async def statistic_revisions(
    county_code: ReadableCounty,
    period: PeriodPath,
    figure: Annotated[str, Path(max_length=48, examples=["rural_online_retail"])],
    session: SessionDep,
) -> Revisions:
    return await service.revisions(
        session, county_code, parse_period(period, finished=False), figure
    )


@router.get(
    "/indicators/statistics",
    summary="County-statistics indicators of a division",
    description="Sums over the counties of a county, prefecture, province or the nation for a "
    "period, with year-on-year growth over the counties that recorded both periods, and the "
    "share of main rural products sold online. Codes: `rural_online_retail(_growth)`, "
    "`farm_produce_online_retail(_growth)`, `online_shops`, `ecommerce_employment`, "
    "`main_products_online_share` (ADR 0040).",
    response_model=StatisticsIndicators,
    responses=problem_responses(
        (
            Unprocessable,
            "`invalid_division_code`, `below_county` (division); `invalid_period` (period)",
        )
    ),
)
async def statistics_indicators(
    session: SessionDep,
    principal: PrincipalDep,
    period: Annotated[str, Query(max_length=16, description=PERIOD_EXAMPLES)],
    division: DivisionQuery = None,
) -> StatisticsIndicators:
    prefix = service.division_prefix_of(division)
    require_division_reader(
        principal, prefix.ljust(12, "0") if prefix else None, doing=READ[0], doing_zh=READ[1]
    )
    parsed = parse_period(period, field="period", location="query", finished=False)
    return await service.indicators(session, prefix, parsed)


# --- main rural products -----------------------------------------------------------------

ProductPath = Annotated[int, Path(ge=1, le=2**62, description="the product's id")]


def _product_response(out: ProductOut, *, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/counties/{out.county_code}/products/{out.id}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.get(
    "/counties/{county_code}/products",
    summary="A county's main rural products (主要农村产品)",
    description="The list the 60 % sold-online target (Shanxi 2017) is measured on.",
    response_model=ProductList,
    responses=problem_responses((Unprocessable, _COUNTY)),
)
async def list_products(county_code: ReadableCounty, session: SessionDep) -> ProductList:
    return await service.products(session, county_code)


@router.post(
    "/counties/{county_code}/products",
    status_code=201,
    summary="Add a main rural product",
    response_model=ProductOut,
    responses=problem_responses(
        _FORBIDDEN,
        (Conflict, "`product_exists` (name), `too_many_products`"),
        (Unprocessable, f"{_COUNTY}; `channels_without_online_sales`; `validation_failed`"),
    ),
)
async def add_product(
    county_code: CountyPath, body: ProductIn, session: SessionDep, principal: PrincipalDep
) -> Response:
    out = await service.add_product(session, county_code, body, principal)
    return _product_response(out, status_code=201)


@router.patch(
    "/counties/{county_code}/products/{product_id}",
    summary="Change a main rural product",
    description="Send `If-Match` with the ETag you read.",
    response_model=ProductOut,
    responses=problem_responses(
        _FORBIDDEN,
        (NotFound, "`product_not_found`"),
        (Conflict, "`product_exists` (name)"),
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, f"{_COUNTY}; `channels_without_online_sales`, `required_field`"),
    ),
)
async def update_product(
    county_code: CountyPath,
    product_id: ProductPath,
    patch: ProductPatch,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    out = await service.update_product(session, county_code, product_id, patch, principal, if_match)
    return _product_response(out)


@router.delete(
    "/counties/{county_code}/products/{product_id}",
    status_code=204,
    summary="Take a product off the list",
    responses=problem_responses(
        _FORBIDDEN, (NotFound, "`product_not_found`"), (Unprocessable, _COUNTY)
    ),
)
async def remove_product(
    county_code: CountyPath, product_id: ProductPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.remove_product(session, county_code, product_id, principal)
    return Response(status_code=204)
