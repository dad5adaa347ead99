"""``/v1/demonstration-counties``: the counties of the demonstration programme, their fund
totals and what they planned, paid and have left."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.authz import division_reader_prefix
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.pagination import Page, PageParams, next_link, page_params
from services.programme.changes.models import ProgrammeIdempotencyRecord
from services.programme.divisions import COUNTY_PROBLEMS, READ, CountyPath, ReadableCounty
from services.programme.ledger import service
from services.programme.ledger.schemas import (
    CountyCreate,
    CountyOut,
    CountyPatch,
    FundsSummary,
    PublicationIn,
)

router = APIRouter(prefix="/v1/demonstration-counties", tags=["demonstration counties"])

_NOT_FOUND = (NotFound, "`demonstration_county_not_found`")
_FORBIDDEN = (
    Forbidden,
    "`role_forbidden`; `outside_scope`; `province_level_required`: a county or prefecture "
    "official may not designate",
)


def _county_response(out: CountyOut, *, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/demonstration-counties/{out.county_code}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    summary="Record a demonstration county",
    description="Province-level officials (or national ones) and admins: the county, its "
    "batch year and its central and local fund totals. `Idempotency-Key` makes retries safe.",
    response_model=CountyOut,
    responses=problem_responses(
        _FORBIDDEN,
        (Conflict, "`demonstration_county_exists` (county_code)"),
        (
            Unprocessable,
            "`invalid_division_code`, `unknown_division`, `division_not_current`, "
            "`wrong_division_level` (county_code); `batch_year_mismatch` (with "
            "`flagged_year`); `programme_ends_before_start`; `non_positive_amount`, "
            "`negative_amount`; `validation_failed`",
        ),
    ),
)
async def create_county(
    request: Request,
    body: CountyCreate,
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
    out = await service.create_county(session, body, principal)
    await idempotency.remember(201, out)
    return _county_response(out, status_code=201)


@router.get(
    "",
    summary="List demonstration counties",
    description="By county code; `under` a division prefix, of one `batch_year`, published or not.",
    response_model=Page[CountyOut],
    responses=problem_responses((BadRequest, "`invalid_cursor`")),
)
async def list_counties(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    params: Annotated[PageParams, Depends(page_params)],
    under: Annotated[
        str | None, Query(pattern=r"^[0-9]{2,12}$", description="division code prefix")
    ] = None,
    batch_year: Annotated[int | None, Query(ge=2014, le=2100)] = None,
    published: bool | None = None,
) -> Page[CountyOut]:
    under = division_reader_prefix(principal, under, doing=READ[0], doing_zh=READ[1])
    rows, outs = await service.list_counties(
        session, params, under=under, batch_year=batch_year, published=published
    )
    return Page[CountyOut](
        items=outs, next=next_link(request, rows, params, lambda r: [r[0].county_code])
    )


@router.get(
    "/{county_code}",
    summary="Read a demonstration county",
    response_model=CountyOut,
    responses=problem_responses(_NOT_FOUND, (Unprocessable, COUNTY_PROBLEMS)),
)
async def read_county(county_code: ReadableCounty, session: SessionDep) -> Response:
    return _county_response(await service.read_county(session, county_code))


@router.patch(
    "/{county_code}",
    summary="Change a demonstration county's batch, funds or dates",
    description="Province-level officials and admins, with `If-Match`.",
    response_model=CountyOut,
    responses=problem_responses(
        _NOT_FOUND,
        _FORBIDDEN,
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, f"{COUNTY_PROBLEMS}; `required_field`, `programme_ends_before_start`"),
    ),
)
async def update_county(
    county_code: CountyPath,
    patch: CountyPatch,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    out = await service.update_county(session, county_code, patch, principal, if_match)
    return _county_response(out)


@router.put(
    "/{county_code}/publication",
    summary="Publish or withdraw a county's ledger (政务公开)",
    description="The county's officials (or above) choose when the plan, projects and fund "
    "arrangements appear in the public disclosure (`GET /v1/disclosure/{county}`).",
    response_model=CountyOut,
    responses=problem_responses(
        _NOT_FOUND,
        (Forbidden, "`role_forbidden`, `outside_scope`"),
        (Unprocessable, COUNTY_PROBLEMS),
    ),
)
async def publish_county(
    county_code: CountyPath, body: PublicationIn, session: SessionDep, principal: PrincipalDep
) -> Response:
    return _county_response(await service.publish(session, county_code, body.published, principal))


@router.get(
    "/{county_code}/funds",
    summary="A county's funds: planned, paid and remaining",
    description="资金安排与拨付: budgets of projects not cancelled and payments not cancelled, "
    "by source (central, local, social) and by category; central funds not yet planned.",
    response_model=FundsSummary,
    responses=problem_responses(_NOT_FOUND, (Unprocessable, COUNTY_PROBLEMS)),
)
async def county_funds(county_code: ReadableCounty, session: SessionDep) -> FundsSummary:
    return await service.funds(session, county_code)
