"""``/v1/volumes``: daily parcels per carrier and place, up (农产品上行) and down (工业品下行)."""

from datetime import date
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
from common.pagination import Page, PageParams, next_link, page_params
from services.logistics import authz, listing
from services.logistics.caller import CallerDep
from services.logistics.changes.models import LogisticsIdempotencyRecord
from services.logistics.coverage.router import DivisionQuery
from services.logistics.volumes import repository, service, upload
from services.logistics.volumes.schemas import (
    VOLUME_EXAMPLE,
    VolumeBulkResult,
    VolumeIn,
    VolumeOut,
    VolumeRevisions,
)

router = APIRouter(prefix="/v1/volumes", tags=["parcel volumes"])

_ROW_PROBLEMS = (
    "`unknown_carrier`, `carrier_inactive`, `one_place_required`, `unknown_station`, "
    "`unknown_division`, `division_not_current`, `wrong_division_level`, "
    "`wrong_division_class`, `future_day`, `negative_volume`, `volume_too_high`, "
    "`implausible_weight`, `duplicate_row` (422); `not_your_carrier`, `outside_scope` (403)"
)


@router.post(
    "",
    summary="Send one day's parcels of a carrier at a place",
    description="201 for a new day, 200 when it revises it (`updated`, the old figures kept "
    "as a revision) or repeats it (`unchanged`). `Idempotency-Key` as usual "
    f"({REPLAY_HEADER}). Errors: {_ROW_PROBLEMS}.",
    response_model=VolumeRevisions,
    status_code=201,
    responses={
        200: {
            "model": VolumeRevisions,
            "description": "revised (`updated`) or repeated (`unchanged`)",
        },
        **problem_responses(
            (Forbidden, "`role_forbidden`, `not_your_carrier`, `outside_scope`"),
            (Unprocessable, "a bad figure, place or day, a reused key"),
        ),
    },
)
async def send_volume(
    request: Request,
    session: SessionDep,
    principal: CallerDep,
    body: VolumeIn,
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
    summary="Send many days and places at once",
    description=(
        f"A JSON array, NDJSON or CSV (`GET /v1/volumes/bulk/template`) of at most "
        f"{upload.MAX_ROWS:,} rows, each judged as `POST /v1/volumes` would judge it, with "
        "its own result (`created`, `updated`, `unchanged`, `rejected`); one bad row never "
        f"fails the others; `dry_run`; `Idempotency-Key` for the batch. Row errors: {_ROW_PROBLEMS}."
    ),
    response_model=VolumeBulkResult,
    openapi_extra=bulk_request_body(VolumeIn, VOLUME_EXAMPLE),
    responses=problem_responses((Forbidden, "`role_forbidden`"), *READ_PROBLEMS),
)
async def bulk_volumes(
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
    summary="The CSV template of the volume upload",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def volume_template() -> Response:
    return template_response(upload.VOLUME_COLUMNS, "parcel-volumes.csv", "快递业务量上传模板.csv")


@router.get(
    "",
    summary="Daily parcel volumes",
    description="Current revision of each carrier, place and day, from `from` to `to`. "
    "Carriers see their own, officials and platforms their division. Keyset-paginated.",
    responses=problem_responses(
        (Forbidden, "`role_forbidden`: volumes are a carrier's business figures"),
        (BadRequest, "bad cursor"),
    ),
)
async def list_volumes(
    request: Request,
    session: SessionDep,
    principal: CallerDep,
    params: Annotated[PageParams, Depends(page_params)],
    division: DivisionQuery = None,
    carrier: Annotated[str | None, Query(max_length=40)] = None,
    first: Annotated[date | None, Query(alias="from", description="first day")] = None,
    last: Annotated[date | None, Query(alias="to", description="last day")] = None,
) -> Page[VolumeOut]:
    authz.require_volume_reader(principal)
    visible = await listing.visible(session, principal, carrier=carrier, division=division)
    rows = []
    if visible is not None:
        carrier_id, prefix = visible
        rows = await repository.list_rows(
            session, params, carrier_id=carrier_id, prefix=prefix, first=first, last=last
        )
    return Page(
        items=[service.volume_out(*row) for row in rows[: params.limit]],
        next=next_link(request, rows, params, lambda row: [row[0].id]),
    )


@router.get(
    "/{volume_id}",
    summary="One day's volume with every revision",
    responses=problem_responses(
        (NotFound, "`volume_not_found` (also another carrier's)"), (Forbidden, "`role_forbidden`")
    ),
)
async def get_volume(
    session: SessionDep,
    principal: CallerDep,
    volume_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> VolumeRevisions:
    return await service.get_volume(session, principal, volume_id)
