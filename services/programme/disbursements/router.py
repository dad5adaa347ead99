"""Disbursements (资金拨付): payments against a project's budget, as vouchers record them."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.authz import require_division_reader
from common.bulk import READ_PROBLEMS, TEMPLATE_RESPONSE, template_response
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    problem_responses,
    wants_chinese,
)
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.limits import BULK_BODY_LIMIT
from common.pagination import Page, PageParams, next_link, page_params
from services.programme.changes.models import ProgrammeIdempotencyRecord
from services.programme.disbursements import bulk, repository, service
from services.programme.disbursements.schemas import (
    CancellationIn,
    DisbursementIn,
    DisbursementOut,
    DisbursementResult,
)
from services.programme.divisions import (
    COUNTY,
    COUNTY_PROBLEMS,
    READ,
    CountyPath,
    checked_division,
)
from services.programme.projects.router import CodePath
from services.programme.projects.service import get_project, manages_county

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

    async def render(reference: dict[str, int]) -> Response:
        """The payment as it is now: the record keeps no payee (it may be a person)."""
        again = await service.result(session, reference["disbursement"])
        return JSONResponse(again.model_dump(mode="json"), status_code=201)

    replayed = await idempotency.replay(render)
    if replayed is not None:
        return replayed
    result = await service.record(session, code, body, principal)
    await idempotency.remember_reference(201, {"disbursement": result.disbursement.id})
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
    principal: PrincipalDep,
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
    project_id = None
    if project is not None:
        found = await get_project(session, project)
        project_id = found.id
        require_division_reader(principal, found.county_code, doing=READ[0], doing_zh=READ[1])
    if county_code is not None:
        require_division_reader(principal, county_code, doing=READ[0], doing_zh=READ[1])
    rows = await repository.list_disbursements(
        session, params, county_code=county_code, project_id=project_id
    )
    return Page[DisbursementOut](
        items=[
            service.disbursement_out(d, code, sees_payee=manages_county(principal, d.county_code))
            for d, code in rows[: params.limit]
        ],
        next=next_link(request, rows, params, lambda r: [r[0].id]),
    )


_CSV_EXAMPLE = (
    "项目编号,拨付日期,拨付金额(元),资金来源,收款单位,凭证号,资金用途,站点编码\r\n"
    '141128-001,2018/3/15,"30,000.00",中央财政资金,方山县电子商务运营有限公司,'
    "方财拨〔2018〕0315-07,设备,141128100205-01\r\n"
)


@router.post(
    "/demonstration-counties/{county_code}/disbursements/bulk",
    max_body_size=BULK_BODY_LIMIT,
    summary="Record a county's payments at once (the finance bureau's voucher list)",
    description=(
        f"A JSON array, NDJSON, or CSV (UTF-8 or GB 18030 as Excel saves it) of at most "
        f"{bulk.MAX_ROWS} payments of the county's projects. CSV headers: the field names or "
        "the Chinese ones of the template (`…/disbursements/bulk/template`: 项目编号, 拨付日期, "
        "拨付金额(元), 资金来源, 收款单位, 凭证号 …); dates and amounts as Excel writes them "
        "(2018/3/15, 30,000.00), sources and uses as values or Chinese names. Each row is "
        "judged as `POST /v1/projects/{code}/disbursements` judges it and gets its own "
        "result; one bad row never fails the others. `dry_run=true` judges without writing; "
        "`Idempotency-Key` is honoured. The fund rules are checked once, after the last row."
    ),
    response_model=bulk.DisbursementBulkResult,
    response_model_exclude_none=True,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": bulk.BulkDisbursementRow.model_json_schema(),
                    }
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
        }
    },
    responses=problem_responses(_FORBIDDEN, (Unprocessable, COUNTY_PROBLEMS), *READ_PROBLEMS),
)
async def bulk_disbursements(
    request: Request,
    county_code: CountyPath,
    session: SessionDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description="judge every row, write nothing")] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request,
        session,
        ProgrammeIdempotencyRecord,
        subject=principal.subject,
        key=None if dry_run else idempotency_key,
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    rows = bulk.read_upload(request.headers.get("content-type"), await request.body())
    result = await bulk.upload(
        session, county_code, rows, principal, dry_run=dry_run, zh=wants_chinese(request)
    )
    body = result.body()
    await idempotency.remember(200, body)
    return JSONResponse(body)


@router.get(
    "/demonstration-counties/{county_code}/disbursements/bulk/template",
    summary="The CSV template of the payment upload",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def bulk_disbursements_template(county_code: CountyPath) -> Response:
    return template_response(bulk.COLUMNS, "disbursements.csv", "资金拨付明细模板.csv")
