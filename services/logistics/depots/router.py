"""``/v1/depots``: county distribution centres, township hubs, village pickup points."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.bulk import READ_PROBLEMS, TEMPLATE_RESPONSE, template_response
from common.bulkroute import DryRunQuery, answer_upload, bulk_request_body
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unprocessable,
    problem_responses,
)
from common.idempotency import REPLAY_HEADER, Idempotency, IdempotencyKeyHeader
from common.limits import BULK_BODY_LIMIT
from common.pagination import Page, PageParams, cursor_key, next_link, page_params
from services.logistics import listing
from services.logistics.caller import CallerDep, SignedInCallerDep
from services.logistics.changes.models import LogisticsIdempotencyRecord
from services.logistics.coverage.router import DivisionQuery
from services.logistics.depots import repository, service, upload
from services.logistics.depots.models import DepotKind
from services.logistics.depots.schemas import DEPOT_EXAMPLE, DepotBulkResult, DepotIn, DepotOut

router = APIRouter(prefix="/v1/depots", tags=["depots"])

CodePath = Annotated[
    str, Path(max_length=40, description="the depot's code", examples=["LS-GX-01"])
]
_ROW_PROBLEMS = (
    "`unknown_carrier`, `carrier_inactive`, `operator_required`, `unknown_division`, "
    "`division_not_current`, `wrong_division_level`, `wrong_division_class`, "
    "`station_elsewhere`, `unknown_station`, `outside_china`, `outside_county`, "
    "`crs_required`, `lat_lon_swapped`, `negative_capacity`, `capacity_too_high`, "
    "`duplicate_row` (422); `not_your_carrier`, `outside_scope` (403)"
)


@router.put(
    "/{code}",
    summary="Record a depot (whole)",
    description="Creates the depot (201) or replaces what its code holds (200 `updated`, or "
    f"`unchanged`). `Idempotency-Key` as usual ({REPLAY_HEADER}). Errors: {_ROW_PROBLEMS}; "
    "`code_mismatch` (422) when the body names another code.",
    response_model=DepotOut,
    status_code=201,
    responses={
        200: {"model": DepotOut, "description": "replaced (`updated`) or already so (`unchanged`)"},
        **problem_responses(
            (Forbidden, "`role_forbidden`, `not_your_carrier`, `outside_scope`"),
            (Unprocessable, "a bad field or place, a reused key"),
        ),
    },
)
async def put_depot(
    request: Request,
    session: SessionDep,
    principal: CallerDep,
    code: CodePath,
    body: DepotIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    if body.code != code:
        raise Unprocessable(
            f"the body is depot {body.code}, the path {code}",
            detail_zh=f"请求体中的网点编码 {body.code} 与路径中的 {code} 不一致",
            code="code_mismatch",
            field="code",
        )
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
    summary="Record many depots at once",
    description=(
        f"A JSON array, NDJSON or CSV (`GET /v1/depots/bulk/template`; `carriers` as "
        f"`zto;yto`, the location as `lon`, `lat`, `crs`) of at most {upload.MAX_ROWS:,} "
        "depots, each judged as `PUT /v1/depots/{code}` would judge it, with its own result; "
        f"`dry_run`; `Idempotency-Key` for the batch. Row errors: {_ROW_PROBLEMS}."
    ),
    response_model=DepotBulkResult,
    openapi_extra=bulk_request_body(DepotIn, DEPOT_EXAMPLE),
    responses=problem_responses((Forbidden, "`role_forbidden`"), *READ_PROBLEMS),
)
async def bulk_depots(
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
    summary="The CSV template of the depot upload",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def depot_template() -> Response:
    return template_response(upload.DEPOT_COLUMNS, "depots.csv", "物流网点上传模板.csv")


@router.get(
    "",
    summary="Depots",
    description="By code; carriers see the depots they run or work out of, officials and "
    "platforms their division. Keyset-paginated.",
    responses=problem_responses((BadRequest, "bad cursor")),
)
async def list_depots(
    request: Request,
    session: SessionDep,
    principal: SignedInCallerDep,
    params: Annotated[PageParams, Depends(page_params)],
    division: DivisionQuery = None,
    kind: Annotated[DepotKind | None, Query()] = None,
    carrier: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[DepotOut]:
    visible = await listing.visible(session, principal, carrier=carrier, division=division)
    rows = []
    if visible is not None:
        carrier_id, prefix = visible
        where = repository.DepotFilter(
            carrier_id=carrier_id,
            prefix=prefix,
            kind=str(kind) if kind else None,
            after=cursor_key(params, str),
            limit=params.limit,
        )
        rows = await repository.list_rows(session, where)
    return Page(
        items=[service.depot_out(row) for row in rows[: params.limit]],
        next=next_link(request, rows, params, lambda row: [row["code"]]),
    )


@router.get(
    "/{code}",
    summary="A depot",
    responses=problem_responses((NotFound, "`depot_not_found` (also one not yours to see)")),
)
async def get_depot(session: SessionDep, principal: SignedInCallerDep, code: CodePath) -> DepotOut:
    return await service.get_depot(session, principal, code)
