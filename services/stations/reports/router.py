"""Monthly operating reports: one per station and month, from the operator's app or a
county's bulk upload; the reporting rate and the overdue stations of a division."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep, SignedInDep
from common.authz import require_division_reader
from common.bulk import READ_PROBLEMS, TEMPLATE_RESPONSE, template_response
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    Unprocessable,
    problem_responses,
    wants_chinese,
)
from common.etag import etag
from common.idempotency import REPLAY_HEADER, Idempotency, IdempotencyKeyHeader
from common.limits import BULK_BODY_LIMIT
from common.pagination import Page, PageParams, cursor_key, next_link, page_params
from services.stations import authz
from services.stations.changes.models import StationsIdempotencyRecord
from services.stations.indicators import service as indicators
from services.stations.indicators.schemas import OverdueStation, ReportingRate
from services.stations.registry.models import Station
from services.stations.reports import repository, service
from services.stations.reports.schemas import (
    FIGURES_EXAMPLE,
    BulkReportRow,
    MonthlyReportOut,
    ReportBulkResult,
    ReportFigures,
    RevisionList,
    bulk_example,
    format_month,
    parse_month,
)
from services.stations.reports.service import BULK_MAX_ROWS, CSV_COLUMNS, REPORT_COLUMNS

router = APIRouter(prefix="/v1", tags=["monthly reports"])


async def valid_station(
    session: SessionDep,
    station_code: Annotated[
        str, Path(description="the station's code", examples=["141124100201-01"])
    ],
) -> Station:
    return await service.get_station(session, station_code)


# ``async def`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the parsing it does (and far more under load).
async def valid_month(
    month: Annotated[str, Path(description="the month reported, YYYY-MM", examples=["2026-09"])],
) -> date:
    return parse_month(month)


async def month_query(
    month: Annotated[
        str | None,
        Query(
            description="YYYY-MM, a finished month (China time); default the last one",
            examples=["2026-09"],
        ),
    ] = None,
) -> date:
    if month is None:
        return service.last_finished_month()
    parsed = parse_month(month, location="query")
    service.require_finished_month(parsed)
    return parsed


StationDep = Annotated[Station, Depends(valid_station)]


async def readable_station(principal: SignedInDep, station: StationDep) -> Station:
    """The station whose records are asked for, if the caller may read them (ADR 0009)."""
    authz.require_station_reader(principal, station.code, station.division_code)
    return station


ReadableStationDep = Annotated[Station, Depends(readable_station)]
_READ_PROBLEMS = (
    (Unauthorized, "`authentication_required`: monthly figures are not public"),
    (Forbidden, "`not_your_station`, `outside_scope` or `role_forbidden`"),
)
MonthDep = Annotated[date, Depends(valid_month)]
MonthQueryDep = Annotated[date, Depends(month_query)]
PageDep = Annotated[PageParams, Depends(page_params)]
DivisionQuery = Annotated[
    str | None,
    Query(
        description="division code or its prefix (14, 1411, 141124 …); the nation when absent",
        examples=["141124"],
        max_length=12,
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="optional on a correction: the ETag (revision) the app corrected; "
        "412 when the report has moved on",
    ),
]

_REPORT_EXAMPLE = {
    "station_code": "141124100201-01",
    "month": "2026-09",
    "revision": 2,
    **FIGURES_EXAMPLE,
    "submitted_by": "user:42",
    "submitted_at": "2026-10-03T09:12:44+08:00",
}


@router.put(
    "/stations/{station_code}/reports/{month}",
    summary="Send or correct a station's monthly report",
    description=(
        "The figures of one finished month (China time). The first submission creates "
        "revision 1 (201); a correction creates the next revision (200) and keeps the old "
        "one in the history; the same figures again change nothing (200, same revision). "
        "Send `Idempotency-Key` from apps that retry: a resend returns the first answer "
        f"with `{REPLAY_HEADER}: true`; the same key with another body is 422 "
        "`idempotency_key_reused`. Errors: `invalid_month`, `future_month`, "
        "`month_not_finished`, `negative_figure`, `poor_exceeds_households`, "
        "`before_operating` (422); `station_not_operating` (409); `not_your_station`, "
        "`outside_scope`, `role_forbidden` (403); `station_not_found` (404)."
    ),
    response_model=MonthlyReportOut,
    responses={
        200: {
            "description": "revised, or unchanged",
            "content": {"application/json": {"example": _REPORT_EXAMPLE}},
        },
        201: {"model": MonthlyReportOut, "description": "created (revision 1)"},
        **problem_responses(
            (Forbidden, "not this station's operator, or outside the official's division"),
            (NotFound, "no such station"),
            (Conflict, "the station is not operating or accepted"),
            (PreconditionFailed, "If-Match names an older revision"),
            (Unprocessable, "a bad month or figure, or a reused Idempotency-Key"),
        ),
    },
)
async def put_report(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    station: StationDep,
    month: MonthDep,
    figures: ReportFigures,
    idempotency_key: IdempotencyKeyHeader = None,
    if_match: IfMatchHeader = None,
) -> Response:
    authz.require_report_submitter(principal, station.code, station.division_code)
    idempotency = await Idempotency.from_request(
        request, session, StationsIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    outcome, report = await service.submit_report(
        session, principal, station.code, month, figures, if_match=if_match
    )
    status = 201 if outcome == "created" else 200
    body = report.model_dump(mode="json")
    headers = {"ETag": etag(report.revision)}
    # Figures and the submitter's subject: nothing personal, kept as answered.
    await idempotency.remember(status, body, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


@router.get(
    "/stations/{station_code}/reports",
    summary="List a station's monthly reports",
    description="Oldest first, current revision of each month; keyset-paginated.",
    responses=problem_responses(
        (NotFound, "no such station"), (BadRequest, "bad cursor"), *_READ_PROBLEMS
    ),
)
async def list_reports(
    request: Request,
    session: SessionDep,
    station: ReadableStationDep,
    params: PageDep,
    first: Annotated[
        str | None, Query(alias="from", description="first month, YYYY-MM", examples=["2026-01"])
    ] = None,
    last: Annotated[
        str | None, Query(alias="to", description="last month, YYYY-MM", examples=["2026-09"])
    ] = None,
) -> Page[MonthlyReportOut]:
    after = _month_cursor(params)
    rows = await repository.list_reports(
        session,
        station.id,
        after=after,
        first=parse_month(first, field="from", location="query") if first else None,
        last=parse_month(last, field="to", location="query") if last else None,
        limit=params.limit,
    )
    return Page(
        items=[service.report_out(station.code, row) for row in rows[: params.limit]],
        next=next_link(request, rows, params, lambda row: [row.month.isoformat()]),
    )


def _month_cursor(params: PageParams) -> date | None:
    return cursor_key(params, lambda value: date.fromisoformat(str(value)))


@router.get(
    "/stations/{station_code}/reports/{month}",
    summary="A station's report for one month",
    description="The current revision, with its `ETag` (the revision) for a later correction.",
    responses=problem_responses(
        (NotFound, "no such station, or no report for that month"), *_READ_PROBLEMS
    ),
)
async def get_report(
    response: Response, session: SessionDep, station: ReadableStationDep, month: MonthDep
) -> MonthlyReportOut:
    report = await service.get_report(session, station, month)
    response.headers["ETag"] = etag(report.revision)
    return service.report_out(station.code, report)


@router.get(
    "/stations/{station_code}/reports/{month}/revisions",
    summary="Every revision of a station's report for one month",
    responses=problem_responses(
        (NotFound, "no such station, or no report for that month"), *_READ_PROBLEMS
    ),
)
async def list_revisions(
    session: SessionDep, station: ReadableStationDep, month: MonthDep
) -> RevisionList:
    return RevisionList(
        station_code=station.code,
        month=format_month(month),
        items=await service.list_revisions(session, station, month),
    )


_CSV_EXAMPLE = (
    ",".join(REPORT_COLUMNS.label(name) for name in CSV_COLUMNS)
    + '\n141124100201-01,2026/9/1,"18,650.00",214,9320.50,388,1260,402,310,42\n'
)


@router.post(
    "/reports/bulk",
    max_body_size=BULK_BODY_LIMIT,
    summary="Send many monthly reports at once (a county's upload)",
    description=(
        "A JSON array, NDJSON, or CSV (`Content-Type: text/csv`, UTF-8 or GB 18030 as Excel "
        "saves it) of at most "
        f"{BULK_MAX_ROWS} reports. CSV headers: the field names "
        f"(`{','.join(CSV_COLUMNS)}`) or the Chinese ones of the template "
        "(`GET /v1/reports/bulk/template`: 站点编码, 月份, 农产品上行金额(元) …); other "
        "columns are ignored. Months as Excel writes them (2026-09, 2026/9/1, 202609, "
        "2026年9月) and amounts with thousands separators (1,234.50) are understood. Each row "
        "is judged exactly as the single-report endpoint would judge it and gets its own "
        "result: `created`, `updated` (a new revision), `unchanged`, or `rejected` with the "
        "`http_status`, `code`, `field` and `message` (Chinese with `Accept-Language: zh`) "
        "the single endpoint would answer. One bad row never fails the others. "
        "`dry_run=true` judges without writing. Officials may send reports only for stations "
        "inside their division; `Idempotency-Key` is honoured."
    ),
    response_model=ReportBulkResult,
    response_model_exclude_none=True,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": BulkReportRow.model_json_schema()},
                    "example": bulk_example(),
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
        }
    },
    responses=problem_responses(
        (Forbidden, "a role that does not send reports"),
        *READ_PROBLEMS,
    ),
)
async def bulk_reports(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description="judge every row, write nothing")] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    service.require_bulk_role(principal)
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
    rows = service.read_upload(request.headers.get("content-type"), await request.body())
    result = await service.submit_bulk(
        session, principal, rows, dry_run=dry_run, zh=wants_chinese(request)
    )
    body = result.body()
    await idempotency.remember(200, body)
    return JSONResponse(body)


@router.get(
    "/reports/bulk/template",
    summary="The CSV template of the report upload",
    description="A CSV to fill in with Excel (UTF-8 with BOM): the Chinese header row, then "
    "the field names. Upload it to `POST /v1/reports/bulk` as it is.",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def bulk_reports_template() -> Response:
    return template_response(REPORT_COLUMNS, "monthly-reports.csv", "月度运营报表模板.csv")


@router.get(
    "/reports/rate",
    summary="Reporting rate of a division for a month",
    description="Stations operating or accepted that began operating by the month (expected), "
    "and how many of them sent its report. Default month: the last finished one.",
    responses=problem_responses(
        (NotFound, "no such division"),
        (Unprocessable, "bad division or month, or a month not over yet"),
    ),
)
async def reporting_rate(
    session: SessionDep, month: MonthQueryDep, division: DivisionQuery = None
) -> ReportingRate:
    where = await indicators.resolve_division(session, division)
    return await indicators.reporting_rate(session, where, month)


@router.get(
    "/reports/overdue",
    summary="Stations whose report for a month is missing",
    description="Stations expected to report for the month (see the rate) without a report, "
    "by station code; keyset-paginated. For officials and platforms over the division (the "
    "whole country without `division`: national ones), services and admins.",
    responses=problem_responses(
        (NotFound, "no such division"),
        (Unprocessable, "bad division or month, or a month not over yet"),
        (BadRequest, "bad cursor"),
        (Unauthorized, "`authentication_required`: not public"),
        (Forbidden, "`outside_scope` or `role_forbidden`"),
    ),
)
async def overdue_stations(
    request: Request,
    principal: SignedInDep,
    session: SessionDep,
    month: MonthQueryDep,
    params: PageDep,
    division: DivisionQuery = None,
) -> Page[OverdueStation]:
    where = await indicators.resolve_division(session, division)
    require_division_reader(
        principal, where.division.code, doing="list overdue stations", doing_zh="查看逾期未报站点"
    )
    rows = await indicators.overdue(session, where, month, params)
    return Page(
        items=rows[: params.limit], next=next_link(request, rows, params, lambda row: [row.code])
    )
