"""``/v1/projects``: a demonstration county's project ledger (项目台账) — projects, their
milestones, the stations and training sessions they fund, their lifecycle and acceptance."""

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.authz import division_reader_prefix, require_division_reader
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.identifiers import STATION_CODE_PATTERN
from common.pagination import Page, PageParams, next_link, page_params
from services.programme.changes.models import ProgrammeIdempotencyRecord
from services.programme.divisions import COUNTY, READ, checked_division
from services.programme.ledger.models import ProjectCategory, ProjectStatus
from services.programme.projects import lifecycle, links, service
from services.programme.projects.schemas import (
    PROJECT_CODE_PATTERN,
    MilestoneCreate,
    MilestoneOut,
    MilestonePatch,
    ProjectCreate,
    ProjectOut,
    ProjectPatch,
    ProjectSummary,
    StationLinkIn,
    TransitionIn,
)

router = APIRouter(prefix="/v1/projects", tags=["project ledger"])

CodePath = Annotated[
    str, Path(pattern=PROJECT_CODE_PATTERN, description="project code", examples=["141128-001"])
]
StationPath = Annotated[
    str,
    Path(pattern=STATION_CODE_PATTERN, description="station code", examples=["141128100201-01"]),
]
SessionPath = Annotated[int, Path(ge=1, le=2**62, description="the training service's session id")]
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version you read")
]
_NOT_FOUND = (NotFound, "`project_not_found`")
_FORBIDDEN = (Forbidden, "`role_forbidden`; `outside_scope`: outside your division")
_CLOSED = (Conflict, "`project_closed`: accepted or cancelled")
_STATIONS_DOWN = (ServiceUnavailable, "`stations_unavailable` (with `Retry-After`)")


async def _stations(request: Request) -> httpx.AsyncClient:
    return request.app.state.stations


async def _training(request: Request) -> httpx.AsyncClient:
    return request.app.state.training


StationsDep = Annotated[httpx.AsyncClient, Depends(_stations)]
TrainingDep = Annotated[httpx.AsyncClient, Depends(_training)]
_TRAINING_DOWN = (ServiceUnavailable, "`training_unavailable` (with `Retry-After`)")


def _project_response(out: ProjectOut, *, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/projects/{out.code}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    summary="Add a project to a county's ledger",
    description="The county's officials (or above). The county must be a demonstration "
    "county. The code is `<county>-<NNN>`. `Idempotency-Key` makes retries safe.",
    response_model=ProjectOut,
    responses=problem_responses(
        _FORBIDDEN,
        (
            Unprocessable,
            "`not_a_demonstration_county` (county_code); `validation_failed` with per-field "
            "codes (`invalid_credit_code`, `invalid_phone`, `negative_amount`, …); "
            "`idempotency_key_reused`",
        ),
    ),
)
async def create_project(
    request: Request,
    body: ProjectCreate,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request, session, ProgrammeIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )

    async def render(reference: dict[str, str]) -> Response:
        """The project as this caller may see it now: the record keeps no responsible
        person (ADR 0016)."""
        project = await service.get_project(session, reference["project"])
        return _project_response(
            await service.project_out(session, project, principal), status_code=201
        )

    replayed = await idempotency.replay(render)
    if replayed is not None:
        return replayed
    out = await service.create_project(session, body, principal)
    await idempotency.remember_reference(201, {"project": out.code})
    return _project_response(out, status_code=201)


@router.get(
    "",
    summary="List projects",
    description="By code: one county's (`county`), or under a division prefix, by category "
    "and status; each with its budget, paid and remaining by source and its milestone counts.",
    response_model=Page[ProjectSummary],
    responses=problem_responses(
        (BadRequest, "`invalid_cursor`"),
        (Unprocessable, "`invalid_division_code`, `unknown_division`, `wrong_division_level`"),
    ),
)
async def list_projects(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    params: Annotated[PageParams, Depends(page_params)],
    county: Annotated[str | None, Query(max_length=12, description="a county code")] = None,
    under: Annotated[
        str | None, Query(pattern=r"^[0-9]{2,12}$", description="division code prefix")
    ] = None,
    category: Annotated[list[ProjectCategory] | None, Query()] = None,
    status: Annotated[list[ProjectStatus] | None, Query()] = None,
) -> Page[ProjectSummary]:
    county_code = None
    if county is not None:
        division = await checked_division(session, county, COUNTY, field="county", location="query")
        county_code = division.code
        require_division_reader(principal, county_code, doing=READ[0], doing_zh=READ[1])
    else:
        under = division_reader_prefix(principal, under, doing=READ[0], doing_zh=READ[1])
    rows, items = await service.list_projects(
        session,
        params,
        county_code=county_code,
        under=under,
        categories=category or [],
        statuses=status or [],
    )
    return Page[ProjectSummary](
        items=items, next=next_link(request, rows, params, lambda p: [p.code])
    )


@router.get(
    "/{code}",
    summary="Read a project",
    description="With its milestones, stations (allocation and paid per station) and "
    "training sessions. The responsible person is masked unless you manage the county.",
    response_model=ProjectOut,
    responses=problem_responses(_NOT_FOUND),
)
async def read_project(code: CodePath, session: SessionDep, principal: PrincipalDep) -> Response:
    project = await service.get_project(session, code)
    require_division_reader(principal, project.county_code, doing=READ[0], doing_zh=READ[1])
    return _project_response(await service.project_out(session, project, principal))


@router.patch(
    "/{code}",
    summary="Change a project",
    description="Send `If-Match`. `company`, `responsible` and `budget` replace the object.",
    response_model=ProjectOut,
    responses=problem_responses(
        _NOT_FOUND,
        _FORBIDDEN,
        (Conflict, "`project_closed`; `category_has_links`"),
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, "`budget_below_disbursed` (with `disbursed`), `required_field`"),
    ),
)
async def update_project(
    code: CodePath,
    patch: ProjectPatch,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatchHeader = None,
) -> Response:
    out = await service.update_project(session, code, patch, principal, if_match)
    return _project_response(out)


@router.post(
    "/{code}/transitions",
    summary="Move a project along its lifecycle, or accept it (验收)",
    description="planned → in_progress → completed → accepted; planned and in_progress → "
    "cancelled (with a reason); completed → in_progress. Acceptance answers 422 "
    "`acceptance_incomplete` with every missing item in `errors` (company, credit code, "
    "responsible person and phone, budget, milestones done with evidence, stations "
    "accepted in the stations service, training sessions held, fund-rule breaches).",
    response_model=ProjectOut,
    responses=problem_responses(
        _NOT_FOUND,
        _FORBIDDEN,
        (Conflict, "`illegal_transition` (with `allowed`)"),
        (PreconditionFailed, "`stale_version`"),
        (Unprocessable, "`acceptance_incomplete`, `reason_required`"),
        _STATIONS_DOWN,
    ),
)
async def transition_project(
    code: CodePath,
    body: TransitionIn,
    session: SessionDep,
    principal: PrincipalDep,
    stations: StationsDep,
    training: TrainingDep,
    if_match: IfMatchHeader = None,
) -> Response:
    out = await lifecycle.transition(session, stations, training, code, body, principal, if_match)
    return _project_response(out)


@router.post(
    "/{code}/milestones",
    status_code=201,
    summary="Add a milestone",
    response_model=MilestoneOut,
    responses=problem_responses(
        _NOT_FOUND,
        _FORBIDDEN,
        _CLOSED,
        (
            Unprocessable,
            "`milestone_before_programme` (with `programme_start`), "
            "`milestone_after_programme` (field deadline)",
        ),
    ),
)
async def add_milestone(
    code: CodePath, body: MilestoneCreate, session: SessionDep, principal: PrincipalDep
) -> Response:
    out = await lifecycle.add_milestone(session, code, body, principal)
    return JSONResponse(
        out.model_dump(mode="json"), status_code=201, headers={"ETag": etag(out.version)}
    )


@router.patch(
    "/{code}/milestones/{milestone_id}",
    summary="Change a milestone: status, completion, evidence",
    description="Send `If-Match` with the milestone's ETag. `evidence` replaces the list.",
    response_model=MilestoneOut,
    responses=problem_responses(
        (NotFound, "`project_not_found`, `milestone_not_found`"),
        _FORBIDDEN,
        _CLOSED,
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (
            Unprocessable,
            "`milestone_before_programme`, `milestone_after_programme`, `future_date`, "
            "`completed_on_without_done`, `required_field`",
        ),
    ),
)
async def update_milestone(
    code: CodePath,
    milestone_id: Annotated[int, Path(ge=1, le=2**62)],
    patch: MilestonePatch,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatchHeader = None,
) -> Response:
    out = await lifecycle.update_milestone(session, code, milestone_id, patch, principal, if_match)
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": etag(out.version)})


@router.put(
    "/{code}/stations/{station_code}",
    status_code=201,
    summary="Link a station to a project, with its central-fund allocation",
    description="Checked against the stations service: the station exists, lies in the "
    "project's county, is of the tier the project builds, and is not closed. Linking again "
    "changes the allocation (200).",
    response_model=ProjectOut,
    responses={
        200: {"description": "already linked", "model": ProjectOut},
        **problem_responses(
            _NOT_FOUND,
            _FORBIDDEN,
            _CLOSED,
            (
                Unprocessable,
                "`stations_not_applicable` (category); `unknown_station`, "
                "`station_in_other_county` (with `station_county_code`), "
                "`station_tier_mismatch`, `station_closed` (station_code)",
            ),
            _STATIONS_DOWN,
        ),
    },
)
async def link_station(
    code: CodePath,
    station_code: StationPath,
    session: SessionDep,
    principal: PrincipalDep,
    stations: StationsDep,
    body: StationLinkIn | None = None,
) -> Response:
    out, created = await links.link_station(
        session, stations, code, station_code, body or StationLinkIn(), principal
    )
    return _project_response(out, status_code=201 if created else 200)


@router.delete(
    "/{code}/stations/{station_code}",
    summary="Unlink a station from a project",
    response_model=ProjectOut,
    responses=problem_responses(
        (NotFound, "`project_not_found`, `station_link_not_found`"),
        _FORBIDDEN,
        _CLOSED,
        (Unprocessable, "`station_has_disbursements`"),
    ),
)
async def unlink_station(
    code: CodePath, station_code: StationPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    return _project_response(await links.unlink_station(session, code, station_code, principal))


@router.put(
    "/{code}/training-sessions/{session_id}",
    status_code=201,
    summary="Record that a training project funds a training session",
    description="Checked against the training service: the session exists, is held in the "
    "project's county and is not cancelled.",
    response_model=ProjectOut,
    responses={
        200: {"description": "already linked", "model": ProjectOut},
        **problem_responses(
            _NOT_FOUND,
            _FORBIDDEN,
            _CLOSED,
            (
                Unprocessable,
                "`training_not_applicable` (category); `unknown_training_session`, "
                "`session_in_other_county` (with `session_division_code`), "
                "`session_cancelled` (session_id)",
            ),
            _TRAINING_DOWN,
        ),
    },
)
async def link_training(
    code: CodePath,
    session_id: SessionPath,
    session: SessionDep,
    principal: PrincipalDep,
    training: TrainingDep,
) -> Response:
    out, created = await links.link_training(session, training, code, session_id, principal)
    return _project_response(out, status_code=201 if created else 200)


@router.delete(
    "/{code}/training-sessions/{session_id}",
    summary="Unlink a training session",
    response_model=ProjectOut,
    responses=problem_responses(
        (NotFound, "`project_not_found`, `training_link_not_found`"), _FORBIDDEN, _CLOSED
    ),
)
async def unlink_training(
    code: CodePath, session_id: SessionPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    return _project_response(await links.unlink_training(session, code, session_id, principal))
