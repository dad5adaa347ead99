"""``/v1/coverage``: which carrier reaches which township or village, and since when."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.bulk import READ_PROBLEMS, TEMPLATE_RESPONSE, template_response
from common.bulkroute import DryRunQuery, answer_upload, bulk_request_body
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    problem_responses,
)
from common.idempotency import REPLAY_HEADER, Idempotency, IdempotencyKeyHeader
from common.limits import BULK_BODY_LIMIT
from common.pagination import Page, PageParams, next_link, page_params
from services.logistics.caller import CallerDep, SignedInCallerDep
from services.logistics.changes.models import LogisticsIdempotencyRecord
from services.logistics.coverage import service, upload
from services.logistics.coverage.schemas import (
    COVERAGE_EXAMPLE,
    CoverageBulkResult,
    CoverageIn,
    CoverageOut,
)

router = APIRouter(prefix="/v1/coverage", tags=["coverage"])

MAX_ROWS = upload.MAX_ROWS
PageDep = Annotated[PageParams, Depends(page_params)]
DivisionQuery = Annotated[
    str | None,
    Query(
        description="division code or its prefix (14, 1411, 141124 …); your scope when absent",
        max_length=12,
        pattern=r"^[0-9]{1,12}$",
    ),
]
_ROW_PROBLEMS = (
    "`unknown_carrier`, `carrier_inactive`, `unknown_division`, `division_not_current`, "
    "`wrong_division_level`, `wrong_division_class`, `valid_to_before_valid_from`, "
    "`overlapping_validity`, `station_elsewhere`, `unknown_station`, `negative_frequency`, "
    "`frequency_too_high` (422); `station_closed` (409); `not_your_carrier`, `outside_scope` (403)"
)


@router.post(
    "",
    summary="Record one carrier's service of a place",
    description="One period of service (the rules: docs/adr/0021). 201 when it opens a new "
    "period, 200 when it changes one (`updated`) or is what is already recorded "
    f"(`unchanged`). Send `Idempotency-Key` from integrations that retry ({REPLAY_HEADER}). "
    f"Errors: {_ROW_PROBLEMS}.",
    response_model=CoverageOut,
    status_code=201,
    responses={
        200: {
            "model": CoverageOut,
            "description": "changed (`updated`) or already so (`unchanged`)",
        },
        **problem_responses(
            (Forbidden, "`role_forbidden`, `not_your_carrier`, `outside_scope`"),
            (Conflict, "`station_closed`"),
            (Unprocessable, "a bad field or place, an overlapping period, a reused key"),
        ),
    },
)
async def record_coverage(
    request: Request,
    session: SessionDep,
    principal: CallerDep,
    body: CoverageIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request, session, LogisticsIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    outcome, out = await service.submit_one(session, principal, body)
    status = 201 if outcome == "created" else 200
    payload = out.model_dump(mode="json") | {"outcome": outcome}
    await idempotency.remember(status, payload)
    return JSONResponse(payload, status_code=status)


@router.post(
    "/bulk",
    max_body_size=BULK_BODY_LIMIT,
    summary="Record many periods at once (a carrier's file, a county survey)",
    description=(
        f"A JSON array, NDJSON, or CSV (UTF-8 or GB 18030, English or Chinese headers: see "
        f"`GET /v1/coverage/bulk/template`) of at most {MAX_ROWS:,} rows, each judged exactly as "
        "`POST /v1/coverage` would judge it, with its own result: `created`, `updated`, "
        "`unchanged`, or `rejected` with a problem (status, code, field, message; Chinese "
        "with `Accept-Language: zh`). One bad row never fails the others. Rows of one "
        "carrier and place are taken in file order. `dry_run=true` judges without writing; "
        f"`Idempotency-Key` covers the whole batch. Row errors: {_ROW_PROBLEMS}."
    ),
    response_model=CoverageBulkResult,
    openapi_extra=bulk_request_body(CoverageIn, COVERAGE_EXAMPLE),
    responses=problem_responses((Forbidden, "`role_forbidden`"), *READ_PROBLEMS),
)
async def bulk_coverage(
    request: Request,
    session: SessionDep,
    principal: CallerDep,
    dry_run: DryRunQuery = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    return await answer_upload(
        request,
        session,
        records=LogisticsIdempotencyRecord,
        subject=principal.subject,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
        read=upload.read_upload,
        judge=lambda rows, zh: upload.submit_bulk(session, principal, rows, dry_run=dry_run, zh=zh),
    )


@router.get(
    "/bulk/template",
    summary="The CSV template of the coverage upload",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def coverage_template() -> Response:
    return template_response(upload.COVERAGE_COLUMNS, "coverage.csv", "快递覆盖上传模板.csv")


@router.get(
    "",
    summary="Coverage periods",
    description="The periods that count on `as_of` (default today, China time), or with "
    "`history=true` every period ever recorded, corrections included. Carriers see their "
    "own, officials and platforms their division. Keyset-paginated.",
    responses=problem_responses((BadRequest, "bad cursor"), (Unprocessable, "`unknown_carrier`")),
)
async def list_coverage(
    request: Request,
    session: SessionDep,
    principal: SignedInCallerDep,
    params: PageDep,
    division: DivisionQuery = None,
    carrier: Annotated[str | None, Query(max_length=40, description="a carrier code")] = None,
    station_code: Annotated[str | None, Query(max_length=15)] = None,
    as_of: Annotated[date | None, Query(description="the day, YYYY-MM-DD")] = None,
    history: Annotated[bool, Query(description="every period, not only those of as_of")] = False,
) -> Page[CoverageOut]:
    rows = await service.list_coverage(
        session,
        principal,
        params,
        carrier=carrier,
        division=division,
        as_of=as_of,
        history=history,
        station_code=station_code,
    )
    return Page(
        items=[service.coverage_out(*row) for row in rows[: params.limit]],
        next=next_link(request, rows, params, lambda row: [row[0].id]),
    )


@router.get(
    "/{coverage_id}",
    summary="One coverage period",
    responses=problem_responses((NotFound, "`coverage_not_found` (also another carrier's)")),
)
async def get_coverage(
    session: SessionDep,
    principal: SignedInCallerDep,
    coverage_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> CoverageOut:
    return await service.get_coverage(session, principal, coverage_id)
