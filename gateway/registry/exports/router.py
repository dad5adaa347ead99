"""``/registry/v1/exports/…``: the registry's lists as spreadsheets (CSV streamed here)."""

import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from common.bulk import CSV_MEDIA_TYPE, attachment
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
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
from gateway.registry.exports import service as xlsx
from gateway.registry.exports import sources, uploads
from gateway.registry.exports.csvfile import csv_chunks
from gateway.registry.exports.models import ExportStatus, RegistryExport
from gateway.registry.exports.schemas import ExportJob
from gateway.registry.exports.tables import Table
from gateway.registry.gaps.router import DivisionQuery
from gateway.registry.gaps.schemas import GapKind
from gateway.registry.periods import PeriodDep
from gateway.registry.upstream import PartFailed

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
    table = sources.station_table(registry.upstream, caller, filters)
    return csv_response(replace(table, batches=await sources.started(table.batches)))


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
    table = sources.gap_table(registry.upstream, caller, kind, division, prefix, window)
    return csv_response(replace(table, batches=await sources.started(table.batches)))


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
    return csv_response(sources.dashboard_table(board))


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
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "what the bulk route itself takes",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
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


# --- XLSX: built by the job worker, downloaded when ready -----------------------------------

XLSX_ACCEPTED = {
    202: {
        "model": ExportJob,
        "description": "queued: follow `url` (also `Location`) until `status` is `done`, then "
        "download `file`",
    }
}


def accepted(request: Request, export: RegistryExport) -> JSONResponse:
    job = xlsx.job_out(request, export)
    return JSONResponse(job.model_dump(mode="json"), status_code=202, headers={"Location": job.url})


@router.post(
    "/stations.xlsx",
    summary="The station list as XLSX (a job)",
    description="The same filters and masking as `stations.csv`, checked now; the workbook "
    "(Chinese headers, frozen header row, numbers as numbers) is built by the job worker "
    "and downloaded from the job once done. Signed-in callers: a job has an owner.",
    status_code=202,
    response_model=ExportJob,
    responses={
        **XLSX_ACCEPTED,
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (Unprocessable, "the stations list's own codes (`invalid_bbox`, `unknown_crs` …)"),
        ),
    },
)
async def stations_xlsx(
    request: Request,
    caller: SignedInCallerDep,
    registry: RegistryDep,
    session: SessionDep,
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
) -> JSONResponse:
    filters = [
        (k, v) for k, v in request.query_params.multi_items() if k in sources.STATION_FILTERS
    ]
    # The filters judged now, by the service that will be asked: a bad one is a 422 here,
    # not a failed job later.
    try:
        await registry.upstream.get(
            caller, "stations", "/v1/stations", [*filters, ("limit", 1)], part="stations"
        )
    except PartFailed as e:
        raise e.relayed() from e
    table = sources.station_table(registry.upstream, caller, filters)
    params = {"filters": [list(f) for f in filters]}
    return accepted(request, await xlsx.ask(session, caller, "stations", params, table))


@router.post(
    "/gaps/{kind}.xlsx",
    summary="A gap list as XLSX (a job)",
    description="The whole gap list as `gaps/{kind}.csv` gives it, built by the job worker.",
    status_code=202,
    response_model=ExportJob,
    responses={
        **XLSX_ACCEPTED,
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (NotFound, "`division_not_found`"),
            (
                Unprocessable,
                "`invalid_division_code`, `wrong_division_level` (division); "
                "`invalid_period`, `future_period` (period)",
            ),
        ),
    },
)
async def gaps_xlsx(
    request: Request,
    kind: Annotated[GapKind, Path(description="which list")],
    caller: SignedInCallerDep,
    registry: RegistryDep,
    session: SessionDep,
    window: PeriodDep,
    period: Annotated[str | None, Query(max_length=16)] = None,
    division: DivisionQuery = None,
) -> JSONResponse:
    prefix = await division_filter(registry.upstream, caller, division)
    table = sources.gap_table(registry.upstream, caller, kind, division, prefix, window)
    params = {"gap": kind.value, "division": division, "period": period}
    return accepted(request, await xlsx.ask(session, caller, "gaps", params, table))


@router.post(
    "/dashboards/{division}.xlsx",
    summary="A dashboard as XLSX (a job)",
    description="The rows of `dashboards/{division}.csv`, built by the job worker. Officials "
    "and platforms over the division, admins.",
    status_code=202,
    response_model=ExportJob,
    responses={
        **XLSX_ACCEPTED,
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (Forbidden, "`outside_scope`, `role_forbidden`"),
            (NotFound, "`division_not_found`"),
            (
                Unprocessable,
                "`invalid_division_code`, `wrong_division_level` (division); "
                "`invalid_period`, `future_period` (period); `invalid_sort` (sort)",
            ),
        ),
    },
)
async def dashboard_xlsx(
    request: Request,
    division: DivisionPath,
    caller: SignedInCallerDep,
    registry: RegistryDep,
    session: SessionDep,
    window: PeriodDep,
    period: Annotated[str | None, Query(max_length=16)] = None,
    sort: SortQuery = "worst",
) -> JSONResponse:
    code, sort = dashboards.checked(caller, division, sort)
    await dashboards.check_division(registry.upstream, caller, code)
    table = Table(
        filename=f"dashboard-{code}-{window.label}",
        filename_zh=f"目标进度-{code}-{window.label}",
        sheet_zh="目标进度",
        columns=sources.DASHBOARD_COLUMNS,
        batches=sources.no_rows(),
    )
    params = {"division": code, "period": period, "sort": sort}
    return accepted(request, await xlsx.ask(session, caller, "dashboard", params, table))


ExportIdPath = Annotated[uuid.UUID, Path(description="the id `POST ….xlsx` answered")]


@router.get(
    "/jobs/{export_id}",
    summary="An XLSX export job",
    description="Its status, the time it took (`note`, `seconds`) and, once done, the link "
    "to its file. Only the one who asked for it sees it; anyone else's id is 404.",
    response_model=ExportJob,
    responses=problem_responses(
        (Unauthorized, "`authentication_required`"),
        (NotFound, "`export_not_found`"),
        (Unprocessable, "`validation_failed` (export_id)"),
    ),
)
async def export_job(
    request: Request, export_id: ExportIdPath, caller: SignedInCallerDep, session: SessionDep
) -> ExportJob:
    return xlsx.job_out(request, await xlsx.owned(session, caller, export_id))


@router.get(
    "/jobs/{export_id}/file",
    summary="Download an XLSX export",
    response_class=StreamingResponse,
    responses={
        200: {"description": "the workbook", "content": {xlsx.XLSX_MEDIA_TYPE: {}}},
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (NotFound, "`export_not_found`"),
            (Conflict, "`export_not_ready` (with `Retry-After`), `export_failed`"),
        ),
    },
)
async def export_file(
    request: Request, export_id: ExportIdPath, caller: SignedInCallerDep, session: SessionDep
) -> StreamingResponse:
    export = await xlsx.owned(session, caller, export_id)
    if export.status != ExportStatus.DONE or export.size is None:
        raise xlsx.not_ready(export)
    return StreamingResponse(
        xlsx.slices(request.app.state.read_sessionmaker, export.id, export.size),
        media_type=xlsx.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": attachment(export.filename, export.filename_zh),
            "Content-Length": str(export.size),
            "Cache-Control": "private, no-store",
        },
    )
