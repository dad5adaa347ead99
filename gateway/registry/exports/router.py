"""``/registry/v1/exports/…``: the registry's lists as spreadsheets (CSV streamed here)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from common.bulk import CSV_MEDIA_TYPE, attachment
from common.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.limits import BULK_BODY_LIMIT
from gateway.registry.caller import CallerDep, SignedInCallerDep
from gateway.registry.context import RegistryDep
from gateway.registry.dashboards import service as dashboards
from gateway.registry.dashboards.router import DivisionPath, SortQuery
from gateway.registry.divisions import division_filter
from gateway.registry.exports import sources, uploads
from gateway.registry.exports.csvfile import csv_chunks
from gateway.registry.exports.tables import Table
from gateway.registry.gaps.router import DivisionQuery
from gateway.registry.gaps.schemas import GapKind
from gateway.registry.periods import PeriodDep

router = APIRouter(prefix="/registry/v1/exports", tags=["registry exports"])

CSV_RESPONSE = {
    200: {
        "description": "CSV in UTF-8 with a byte order mark (Excel opens it as it is), a "
        "Chinese header row, streamed",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
Repeated = Annotated[list[str] | None, Query()]


def csv_response(table: Table) -> StreamingResponse:
    return StreamingResponse(
        csv_chunks(table),
        media_type=CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": attachment(f"{table.filename}.csv", f"{table.filename_zh}.csv"),
            "Cache-Control": "private, no-store",
            "Vary": "Authorization, Accept-Language",
        },
    )


@router.get(
    "/stations.csv",
    summary="The station list as CSV",
    description="Every station `GET /stations/v1/stations` selects with the same filters "
    "(`under`, `tier`, `status`, `service`, `poor_village`, `demonstration_county`, `near` "
    "with `radius_m`, `bbox`, `crs`), read from the stations service on your behalf a page "
    "at a time: operators' names and phones masked exactly as that list masks them for "
    "you. A filter it refuses is its 422, naming the field.",
    response_class=StreamingResponse,
    responses={
        **CSV_RESPONSE,
        **problem_responses(
            (Unprocessable, "the stations list's own codes (`invalid_bbox`, `unknown_crs` …)")
        ),
    },
)
async def stations_csv(
    request: Request,
    caller: CallerDep,
    registry: RegistryDep,
    under: Annotated[str | None, Query(max_length=12, examples=["1411"])] = None,
    tier: Repeated = None,
    status: Repeated = None,
    service: Repeated = None,
    poor_village: bool | None = None,
    demonstration_county: bool | None = None,
    near: Annotated[str | None, Query(max_length=64)] = None,
    radius_m: float | None = None,
    bbox: Annotated[str | None, Query(max_length=128)] = None,
    crs: Annotated[str | None, Query(max_length=16)] = None,
) -> StreamingResponse:
    # Passed on as the caller spelt them: the stations service judges its own filters.
    filters = [
        (k, v) for k, v in request.query_params.multi_items() if k in sources.STATION_FILTERS
    ]
    batches = await sources.started(sources.station_pages(registry.upstream, caller, filters))
    scope = under or "all"
    return csv_response(
        Table(
            filename=f"stations-{scope}",
            filename_zh=f"站点名录-{scope}",
            sheet_zh="站点名录",
            columns=sources.STATION_COLUMNS,
            batches=batches,
        )
    )


@router.get(
    "/gaps/{kind}.csv",
    summary="A gap list as CSV",
    description="The whole of `GET /registry/v1/gaps/{kind}` with the same `division` and "
    "`period`, every page one after another, a reason per row. Public, as the list is.",
    response_class=StreamingResponse,
    responses={
        **CSV_RESPONSE,
        **problem_responses(
            (BadRequest, "`invalid_cursor`"),
            (NotFound, "`division_not_found`"),
            (
                Unprocessable,
                "`invalid_division_code`, `wrong_division_level` (division); "
                "`invalid_period`, `future_period` (period)",
            ),
            (ServiceUnavailable, "`gap_source_unavailable`"),
        ),
    },
)
async def gaps_csv(
    kind: Annotated[GapKind, Path(description="which list")],
    caller: CallerDep,
    registry: RegistryDep,
    window: PeriodDep,
    division: DivisionQuery = None,
) -> StreamingResponse:
    prefix = await division_filter(registry.upstream, caller, division)
    pages = sources.gap_pages(registry.upstream, caller, kind, prefix, window)
    scope = division or "all"
    return csv_response(
        Table(
            filename=f"gaps-{kind}-{scope}-{window.label}",
            filename_zh=f"缺口清单-{kind}-{scope}-{window.label}",
            sheet_zh="缺口清单",
            columns=sources.GAP_COLUMNS,
            batches=await sources.started(pages),
        )
    )


@router.get(
    "/dashboards/{division}.csv",
    summary="A dashboard as CSV",
    description="`GET /registry/v1/dashboards/{division}` with the same `period` and `sort`, "
    "one row per division, indicator and target (an indicator no target names has one row "
    "without target columns): the division first, then its children in `sort` order. "
    "Officials and platforms over the division, admins.",
    response_class=StreamingResponse,
    responses={
        **CSV_RESPONSE,
        **problem_responses(
            (Unauthorized, "`authentication_required`: dashboards are for officials"),
            (Forbidden, "`outside_scope`, `role_forbidden`"),
            (NotFound, "`division_not_found`"),
            (
                Unprocessable,
                "`invalid_division_code`, `wrong_division_level` (division); "
                "`invalid_period`, `future_period` (period); `invalid_sort` (sort)",
            ),
            (ServiceUnavailable, "`divisions_unavailable`"),
        ),
    },
)
async def dashboard_csv(
    division: DivisionPath,
    caller: CallerDep,
    registry: RegistryDep,
    window: PeriodDep,
    sort: SortQuery = "worst",
) -> StreamingResponse:
    board = await dashboards.dashboard(registry.upstream, caller, division, window, sort)
    return csv_response(sources.dashboard_table(board, board.division.code))


@router.post(
    "/uploads/{upload:path}",
    max_body_size=BULK_BODY_LIMIT,
    summary="Send a bulk upload, get its results as CSV",
    description="The body, `dry_run` and `Idempotency-Key` go to the bulk route named by "
    "`upload` as the gateway forwards it (`stations/v1/reports/bulk`, "
    "`logistics/v1/coverage/bulk`, `training/v1/attendance/bulk` …), on your behalf; its "
    "per-row answer (ADR 0014) comes back as CSV: 序号, 文件行号, 结果, HTTP状态, 问题代码, "
    "字段, 说明 and the fields naming each record. A problem with the upload as a whole is "
    "that route's own problem.",
    response_class=StreamingResponse,
    responses={
        **CSV_RESPONSE,
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (Forbidden, "the upload route's own refusal"),
            (NotFound, "`upload_not_found` (upload)"),
            (Unprocessable, "the upload route's own codes"),
        ),
    },
)
async def upload_results_csv(
    request: Request,
    upload: Annotated[
        str, Path(description="the bulk route, as the gateway forwards it", max_length=200)
    ],
    caller: SignedInCallerDep,
    registry: RegistryDep,
    dry_run: bool = False,
) -> StreamingResponse:
    uploads.upload_route(upload)  # before the body is read
    query = [("dry_run", "true" if dry_run else "false")]
    table = await uploads.upload_results(
        registry.upstream, caller, upload, query, request.headers, request.stream()
    )
    return csv_response(table)
