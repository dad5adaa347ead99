"""Disbursements (资金拨付): payments against a project's budget, as vouchers record them."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep, SignedInDep
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    problem_responses,
)
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.pagination import Page, PageParams, next_link, page_params
from services.programme.changes.models import ProgrammeIdempotencyRecord
from services.programme.disbursements import repository, service
from services.programme.disbursements.schemas import (
    CancellationIn,
    DisbursementIn,
    DisbursementOut,
    DisbursementResult,
)
from services.programme.divisions import COUNTY, checked_division
from services.programme.projects.router import CodePath
from services.programme.projects.service import get_project

router = APIRouter(prefix="/v1", tags=["disbursements"])
_FORBIDDEN = (Forbidden, "`role_forbidden`; `outside_scope`: outside your division")


@router.post(
    "/projects/{code}/disbursements",
    status_code=201,
    summary="Record a disbursement (资金拨付) against a project",
    description="Never more than what is left of that source of the project's budget; the "
    "voucher number is unique within the county. `Idempotency-Key` makes retries safe.",
    response_model=DisbursementResult,
    responses=problem_responses(
        (NotFound, "`project_not_found`"),
        _FORBIDDEN,
        (Conflict, "`project_cancelled`; `voucher_exists` (voucher_number)"),
        (
            Unprocessable,
            "`over_remaining_budget` (amount, with `remaining`); `non_positive_amount` "
            "(amount); `future_date`, `before_programme` (paid_on); `station_not_in_project` "
            "(station_code); `validation_failed`; `idempotency_key_reused`",
        ),
    ),
)
async def record_disbursement(
    request: Request,
    code: CodePath,
    body: DisbursementIn,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request, session, ProgrammeIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    result = await service.record(session, code, body, principal)
    await idempotency.remember(201, result)
    return JSONResponse(result.model_dump(mode="json"), status_code=201)


@router.post(
    "/disbursements/{disbursement_id}/cancellation",
    summary="Cancel a mistaken disbursement",
    description="It is kept, marked cancelled with the reason, and stops counting.",
    response_model=DisbursementResult,
    responses=problem_responses(
        (NotFound, "`disbursement_not_found`"),
        _FORBIDDEN,
        (Conflict, "`already_cancelled`"),
    ),
)
async def cancel_disbursement(
    disbursement_id: Annotated[int, Path(ge=1, le=2**62)],
    body: CancellationIn,
    session: SessionDep,
    principal: PrincipalDep,
) -> DisbursementResult:
    return await service.cancel(session, disbursement_id, body.reason, principal)


@router.get(
    "/disbursements",
    summary="List disbursements",
    description="Of one county or one project (one of them is required), in the order "
    "recorded, cancelled ones included (marked).",
    response_model=Page[DisbursementOut],
    responses=problem_responses(
        (BadRequest, "`invalid_cursor`"),
        (NotFound, "`project_not_found`"),
        (Unprocessable, "`county_or_project_required`; county codes as elsewhere"),
    ),
)
async def list_disbursements(
    request: Request,
    session: SessionDep,
    _principal: SignedInDep,
    params: Annotated[PageParams, Depends(page_params)],
    county: Annotated[str | None, Query(max_length=12)] = None,
    project: Annotated[str | None, Query(pattern=r"^[0-9]{6}-[0-9]{3,4}$")] = None,
) -> Page[DisbursementOut]:
    if county is None and project is None:
        raise Unprocessable(
            "say which county or project",
            detail_zh="请指定县或项目",
            code="county_or_project_required",
            field="county",
            location="query",
        )
    county_code = None
    if county is not None:
        county_code = (
            await checked_division(session, county, COUNTY, field="county", location="query")
        ).code
    project_id = (await get_project(session, project)).id if project is not None else None
    rows = await repository.list_disbursements(
        session, params, county_code=county_code, project_id=project_id
    )
    return Page[DisbursementOut](
        items=[service.disbursement_out(d, code) for d, code in rows[: params.limit]],
        next=next_link(request, rows, params, lambda r: [r[0].id]),
    )
