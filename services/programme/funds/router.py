"""``/v1/fund-rule-sets`` and the fund-rule check of counties' plans and payments."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.authz import require_division_reader
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
from services.programme.divisions import (
    COUNTY,
    COUNTY_PROBLEMS,
    READ,
    ReadableCounty,
    checked_division,
)
from services.programme.documents import SET_CODE_PATTERN
from services.programme.funds import service
from services.programme.funds.schemas import (
    CountyCheck,
    FundCheck,
    RuleSetCreate,
    RuleSetOut,
    RuleSetPatch,
)
from services.programme.ledger.service import demonstration_county

router = APIRouter(prefix="/v1", tags=["fund rules"])

SetCodePath = Annotated[
    str, Path(pattern=SET_CODE_PATTERN, description="rule set code", examples=["jinghong-2016"])
]
_FORBIDDEN = (Forbidden, "`role_forbidden`; `outside_scope`: outside your division")
_RULE_PROBLEMS = (
    "`percent_required`, `percent_out_of_range`, `amount_required`, `station_tier_required`, "
    "`uses_required` (field `rules[i].…`); several: `invalid_rules`; `validation_failed`"
)


def _set_response(out: RuleSetOut, *, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/fund-rule-sets/{out.code}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.get(
    "/fund-rule-sets",
    summary="List fund rule sets",
    description="Presets from the seed documents (Shanxi 2017, Jinghong 2016, Yeji 2017) and "
    "officials' own, by code; `applies_to` a county: those whose region holds it.",
    response_model=Page[RuleSetOut],
    responses=problem_responses((BadRequest, "`invalid_cursor`"), (Unprocessable, COUNTY_PROBLEMS)),
)
async def list_rule_sets(
    request: Request,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    applies_to: Annotated[str | None, Query(max_length=12, examples=["532801"])] = None,
    preset: bool | None = None,
) -> Page[RuleSetOut]:
    county = None
    if applies_to is not None:
        county = (
            await checked_division(
                session, applies_to, COUNTY, field="applies_to", location="query"
            )
        ).code
    rows, outs = await service.list_sets(session, params, applies_to=county, preset=preset)
    return Page[RuleSetOut](items=outs, next=next_link(request, rows, params, lambda r: [r.code]))


@router.post(
    "/fund-rule-sets",
    status_code=201,
    summary="Create a fund rule set",
    description="Admins, and officials for a region inside their division. "
    "`Idempotency-Key` makes retries safe.",
    response_model=RuleSetOut,
    responses=problem_responses(
        _FORBIDDEN,
        (Conflict, "`rule_set_exists` (code)"),
        (Unprocessable, _RULE_PROBLEMS + "; region codes as elsewhere; `idempotency_key_reused`"),
    ),
)
async def create_rule_set(
    request: Request,
    body: RuleSetCreate,
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
    out = await service.create_set(session, body, principal)
    await idempotency.remember(201, out)
    return _set_response(out, status_code=201)


@router.get(
    "/fund-rule-sets/{code}",
    summary="Read a fund rule set",
    response_model=RuleSetOut,
    responses=problem_responses((NotFound, "`rule_set_not_found`")),
)
async def read_rule_set(code: SetCodePath, session: SessionDep) -> Response:
    return _set_response(await service.read_set(session, code))


@router.patch(
    "/fund-rule-sets/{code}",
    summary="Change a fund rule set",
    description="Officials inside its region, with `If-Match`; presets are read-only. "
    "`rules` replaces the list, and every county checked on the set is checked again.",
    response_model=RuleSetOut,
    responses=problem_responses(
        (NotFound, "`rule_set_not_found`"),
        _FORBIDDEN,
        (Conflict, "`preset_read_only`"),
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, _RULE_PROBLEMS + "; `required_field`"),
    ),
)
async def update_rule_set(
    code: SetCodePath,
    patch: RuleSetPatch,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    return _set_response(await service.update_set(session, code, patch, principal, if_match))


@router.get(
    "/fund-check",
    summary="Check counties' plans and payments against their fund rules, now",
    description="Every demonstration county under `division` (a county: that one; a "
    "province: all of its counties at once), each breach with the rule, the subject (county, "
    "project, station or voucher), the figure and the limit, in English and Chinese. The same "
    "check runs on every change of a ledger; `…/demonstration-counties/{county}/"
    "fund-breaches` reads what it found.",
    response_model=FundCheck,
    responses=problem_responses((Unprocessable, "`validation_failed` (division)")),
)
async def fund_check(
    session: SessionDep,
    principal: PrincipalDep,
    division: Annotated[
        str,
        Query(pattern=r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$", description="2, 4 or 6 digits",
              examples=["141128"]),
    ],
) -> Response:  # fmt: skip
    require_division_reader(principal, division.ljust(12, "0"), doing=READ[0], doing_zh=READ[1])
    # The answer is built whole by the database (a province's holds hundreds of breaches):
    # no rows, models or serialisation here.
    return Response(await service.check(session, division), media_type="application/json")


@router.get(
    "/demonstration-counties/{county_code}/fund-breaches",
    summary="The breaches of a county's fund rules found at its last change",
    description="With when each was first detected; mended breaches are gone.",
    response_model=CountyCheck,
    responses=problem_responses(
        (NotFound, "`demonstration_county_not_found`"), (Unprocessable, COUNTY_PROBLEMS)
    ),
)
async def county_breaches(county_code: ReadableCounty, session: SessionDep) -> CountyCheck:
    county = await demonstration_county(session, county_code)
    return await service.county_breaches(session, county)
