"""``/v1/target-sets`` and a county's adopted targets: policy targets as data."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
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
from services.programme.divisions import COUNTY, COUNTY_PROBLEMS, CountyPath, checked_division
from services.programme.documents import SET_CODE_PATTERN
from services.programme.targets import service
from services.programme.targets.schemas import (
    AdoptionOut,
    CountyTargets,
    TargetSetCreate,
    TargetSetOut,
    TargetSetPatch,
)

router = APIRouter(prefix="/v1", tags=["policy targets"])

SetCodePath = Annotated[
    str, Path(pattern=SET_CODE_PATTERN, description="target set code", examples=["shanxi-2017"])
]
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version you read")
]
_NOT_FOUND = (NotFound, "`target_set_not_found`")
_FORBIDDEN = (Forbidden, "`role_forbidden`; `outside_scope`: outside your division")
_TARGET_PROBLEMS = (
    "`unknown_indicator`, `unit_mismatch`, `percent_out_of_range`, `growth_out_of_range`, "
    "`negative_target`, `not_whole_number`, `period_not_applicable` (field "
    "`targets[i].…`); several at once: `invalid_targets` with every one in `errors`; "
    "`validation_failed`"
)


def _set_response(out: TargetSetOut, *, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/target-sets/{out.code}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.get(
    "/target-sets",
    summary="List target sets",
    description="Presets from the seed policy documents and officials' own sets, by code. "
    "`applies_to`: only sets whose region holds this county; `under`: only sets of regions "
    "under this division prefix.",
    response_model=Page[TargetSetOut],
    responses=problem_responses(
        (BadRequest, "`invalid_cursor`"),
        (Unprocessable, "`invalid_division_code`, `unknown_division`, `wrong_division_level` …"),
    ),
)
async def list_target_sets(
    request: Request,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    applies_to: Annotated[
        str | None,
        Query(max_length=12, description="a county code (6 or 12 digits)", examples=["141128"]),
    ] = None,
    under: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{2,12}$", description="division code prefix", examples=["14"]),
    ] = None,
    preset: Annotated[bool | None, Query(description="only presets, or only custom sets")] = None,
) -> Page[TargetSetOut]:
    county = None
    if applies_to is not None:
        division = await checked_division(
            session, applies_to, COUNTY, field="applies_to", location="query"
        )
        county = division.code
    rows, outs = await service.list_sets(
        session, params, applies_to=county, under=under, preset=preset
    )
    return Page[TargetSetOut](items=outs, next=next_link(request, rows, params, lambda r: [r.code]))


@router.post(
    "/target-sets",
    status_code=201,
    summary="Create a target set",
    description="Admins, and officials for a region inside their division. Each target names "
    "an indicator of `GET /v1/indicators` in its unit. `Idempotency-Key` makes retries safe.",
    response_model=TargetSetOut,
    responses=problem_responses(
        _FORBIDDEN,
        (Conflict, "`target_set_exists` (field code)"),
        (Unprocessable, _TARGET_PROBLEMS + "; `idempotency_key_reused`"),
    ),
)
async def create_target_set(
    request: Request,
    body: TargetSetCreate,
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
    "/target-sets/{code}",
    summary="Read a target set",
    response_model=TargetSetOut,
    responses=problem_responses(_NOT_FOUND),
)
async def read_target_set(code: SetCodePath, session: SessionDep) -> Response:
    return _set_response(await service.read_set(session, code))


@router.patch(
    "/target-sets/{code}",
    summary="Change a target set",
    description="Officials inside the set's region, with `If-Match`. Presets are read-only. "
    "`targets`, when sent, replaces the whole list.",
    response_model=TargetSetOut,
    responses=problem_responses(
        _NOT_FOUND,
        _FORBIDDEN,
        (Conflict, "`preset_read_only`"),
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, _TARGET_PROBLEMS + "; `required_field`"),
    ),
)
async def update_target_set(
    code: SetCodePath,
    patch: TargetSetPatch,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatchHeader = None,
) -> Response:
    return _set_response(await service.update_set(session, code, patch, principal, if_match))


@router.get(
    "/counties/{county_code}/targets",
    summary="The targets a county adopted",
    description="Every target set the county adopted, with its targets: what the dashboards "
    "measure the county against.",
    responses=problem_responses((Unprocessable, COUNTY_PROBLEMS)),
)
async def county_targets(county_code: CountyPath, session: SessionDep) -> CountyTargets:
    return await service.county_targets(session, county_code)


@router.put(
    "/counties/{county_code}/adoptions/{set_code}",
    status_code=201,
    summary="Adopt a target set for a county",
    description="Officials of the county (or above). The set's region must hold the county. "
    "Adopting a set twice changes nothing (200).",
    response_model=AdoptionOut,
    responses={
        200: {"description": "already adopted", "model": AdoptionOut},
        **problem_responses(
            _FORBIDDEN,
            (NotFound, "`target_set_not_found`"),
            (
                Unprocessable,
                f"{COUNTY_PROBLEMS}; `target_set_not_applicable` (with `region_code`)",
            ),
        ),
    },
)
async def adopt_target_set(
    county_code: CountyPath,
    set_code: SetCodePath,
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    out, created = await service.adopt(session, county_code, set_code, principal)
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if created else 200)


@router.delete(
    "/counties/{county_code}/adoptions/{set_code}",
    status_code=204,
    summary="Withdraw a county's adoption of a target set",
    responses=problem_responses(
        _FORBIDDEN,
        (NotFound, "`adoption_not_found`"),
        (Unprocessable, COUNTY_PROBLEMS),
    ),
)
async def withdraw_target_set(
    county_code: CountyPath,
    set_code: SetCodePath,
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    await service.withdraw(session, county_code, set_code, principal)
    return Response(status_code=204)
