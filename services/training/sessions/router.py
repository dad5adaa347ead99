"""``/v1/sessions``: training sessions, their sign-ins and what they earn."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep, Role
from common.coords import CRS
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.months import china_today
from common.pagination import Page, cursor_key, next_link
from services.training.changes.models import TrainingIdempotencyRecord
from services.training.deps import IfMatchHeader, PageDep, SessionIdPath
from services.training.sessions import repository, service
from services.training.sessions.models import SessionStatus
from services.training.sessions.schemas import SessionCreate, SessionOut, SessionPatch, TransitionIn
from services.training.subsidies.service import division_query_prefix

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

_NOT_FOUND = (NotFound, "`session_not_found`")
_BAD = (
    Unprocessable,
    "`ends_before_start` (ends_on), `duration_mismatch`, `invalid_division_code`, "
    "`invalid_credit_code`",
)
_WHO = (Forbidden, "`role_forbidden`, `outside_scope`, `not_your_session`")


def _response(out: SessionOut, status_code: int = 200, location: str | None = None) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if location:
        headers["Location"] = location
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    summary="Plan a training session",
    description="Admins, officials of the place's division, and organisers for sessions "
    "under their own credit code. A location names its coordinate system (`crs`).",
    response_model=SessionOut,
    responses=problem_responses(_WHO, _BAD),
)
async def create_session(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: SessionCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request, session, TrainingIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    row = await service.create_session(session, principal, body)
    out = service.session_out(row)
    await idempotency.remember(201, out.model_dump(mode="json"))
    return _response(out, 201, str(request.url_for("get_session", session_id=row.id).path))


@router.get(
    "",
    summary="List training sessions",
    description="Public (政务公开): what is taught where and when, by whom. Filters: place "
    "division prefix, organiser credit code, status, dates overlapping from–to.",
    responses=problem_responses((BadRequest, "bad cursor"), (Unprocessable, "bad division")),
)
async def list_sessions(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    params: PageDep,
    division: Annotated[str | None, Query(max_length=12)] = None,
    organiser: Annotated[str | None, Query(max_length=18)] = None,
    status: SessionStatus | None = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> Page[SessionOut]:
    rows = await repository.list_sessions(
        session,
        prefix=division_query_prefix(division),
        organiser=organiser,
        status=status,
        first=first,
        last=last,
        after=cursor_key(params, int),
        limit=params.limit,
    )
    return Page(
        items=[
            service.session_out(r, subjects=principal.role is not Role.PUBLIC)
            for r in rows[: params.limit]
        ],
        next=next_link(request, rows, params, lambda r: [r.id]),
    )


@router.get(
    "/{session_id}",
    summary="A training session",
    response_model=SessionOut,
    responses=problem_responses(_NOT_FOUND),
)
async def get_session(
    session: SessionDep, principal: PrincipalDep, session_id: SessionIdPath, crs: CRS = CRS.WGS84
) -> Response:
    row = await service.get_session(session, session_id)
    return _response(service.session_out(row, crs, subjects=principal.role is not Role.PUBLIC))


@router.patch(
    "/{session_id}",
    summary="Change a planned session",
    description="`If-Match` with the ETag read. Only a planned session changes; its dates "
    "must keep the attendance already recorded.",
    response_model=SessionOut,
    responses=problem_responses(
        _NOT_FOUND,
        _WHO,
        _BAD,
        (Conflict, "`session_not_planned`, `attendance_outside_dates`"),
        (PreconditionFailed, "`stale_version`"),
    ),
)
async def update_session(
    session: SessionDep,
    principal: PrincipalDep,
    session_id: SessionIdPath,
    patch: SessionPatch,
    if_match: IfMatchHeader = None,
) -> Response:
    row = await service.update_session(session, principal, session_id, patch, if_match)
    return _response(service.session_out(row))


@router.post(
    "/{session_id}/status",
    summary="Mark a session held or cancelled",
    description="Who and when are kept. Held from its first day on (`not_started`); a "
    "session with attendance cannot be cancelled (`session_has_attendance`). Held fixes its "
    "subsidy rate under the policy valid on its date.",
    response_model=SessionOut,
    responses=problem_responses(
        _NOT_FOUND,
        _WHO,
        (Conflict, "`session_not_planned`, `not_started`, `session_has_attendance`"),
    ),
)
async def transition(
    session: SessionDep, principal: PrincipalDep, session_id: SessionIdPath, body: TransitionIn
) -> Response:
    row = await service.transition(session, principal, session_id, body, today=china_today())
    return _response(service.session_out(row))
