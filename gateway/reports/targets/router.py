"""``/reports/v1/targets``: where report documents go, for admins."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from common.db import SessionDep
from common.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.pagination import Page, next_link
from gateway.identity.dependencies import PageDep, SignedInDep
from gateway.reports.deliveries import secrets
from gateway.reports.deliveries.routes import secret_rotation_route
from gateway.reports.deliveries.secrets import Owner
from gateway.reports.deliveries.service import queue_resumed
from gateway.reports.targets import repository, service
from gateway.reports.targets.schemas import (
    TargetCreate,
    TargetOut,
    TargetPatch,
    TargetWithSecret,
)

router = APIRouter(prefix="/reports/v1", tags=["reports: delivery targets"])

TargetId = Annotated[int, Path(ge=1, le=2**62, examples=[1])]
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version the change is based on")
]
AUTH = (Unauthorized, "`authentication_required`, `token_invalid`, `token_expired`")
ADMIN = (Forbidden, "`role_forbidden`: only admins manage report targets")
NOT_FOUND = (NotFound, "`target_not_found`")
_BAD_TARGET = (
    Unprocessable,
    "`invalid_endpoint_url` (not http(s)), `endpoint_not_public` (loopback or private address, "
    "in production), `endpoint_unresolvable`, `invalid_scope`, `unknown_timezone`",
)


def _target_response(out: TargetOut, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version), "Cache-Control": "no-store"}
    if status_code == 201:
        headers["Location"] = f"/reports/v1/targets/{out.id}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "/targets",
    status_code=201,
    summary="Create a delivery target (MOFCOM, a provincial platform)",
    description="Answers the target and its first `whsec_` signing secret, shown this once: "
    "give it to the receiver, which verifies every delivery with it (Standard Webhooks).",
    response_model=TargetWithSecret,
    responses=problem_responses(AUTH, ADMIN, _BAD_TARGET),
)
async def create_target(
    request: Request, body: TargetCreate, session: SessionDep, principal: SignedInDep
) -> Response:
    now = _now()
    target, issued = await service.create(session, request.app.state.settings, principal, body, now)
    out = service.target_out(target, [issued.row])
    return _target_response(TargetWithSecret(**out.model_dump(), signing_secret=issued.value), 201)


@router.get(
    "/targets",
    summary="List delivery targets",
    response_model=Page[TargetOut],
    responses=problem_responses(AUTH, ADMIN, (BadRequest, "`invalid_cursor`")),
)
async def list_targets(
    request: Request, session: SessionDep, principal: SignedInDep, params: PageDep
) -> Page[TargetOut]:
    service.require_admin(principal)
    rows = await repository.page(session, params)
    shown = rows[: params.limit]
    signing = await secrets.valid(session, Owner.TARGET, [t.id for t in shown], _now())
    return Page(
        items=[service.target_out(t, [s for s in signing if s.target_id == t.id]) for t in shown],
        next=next_link(request, rows, params, lambda t: [t.id]),
    )


@router.get(
    "/targets/{target_id}",
    summary="A delivery target, its schedule, state and alert",
    response_model=TargetOut,
    responses=problem_responses(AUTH, ADMIN, NOT_FOUND),
)
async def get_target(target_id: TargetId, session: SessionDep, principal: SignedInDep) -> Response:
    service.require_admin(principal)
    target = await service.get(session, target_id)
    signing = await secrets.valid(session, Owner.TARGET, [target.id], _now())
    return _target_response(service.target_out(target, signing))


@router.patch(
    "/targets/{target_id}",
    summary="Change a delivery target; `status: active` re-enables it",
    response_model=TargetOut,
    responses=problem_responses(
        AUTH,
        ADMIN,
        NOT_FOUND,
        _BAD_TARGET,
        (PreconditionRequired, "`if_match_required`"),
        (PreconditionFailed, "`stale_version`"),
    ),
)
async def patch_target(
    request: Request,
    target_id: TargetId,
    body: TargetPatch,
    session: SessionDep,
    principal: SignedInDep,
    if_match: IfMatchHeader = None,
) -> Response:
    now = _now()
    target, resumed = await service.patch(
        session, request.app.state.settings, principal, target_id, body, if_match, now
    )
    await queue_resumed(session, resumed)
    signing = await secrets.valid(session, Owner.TARGET, [target.id], now)
    return _target_response(service.target_out(target, signing))


secret_rotation_route(
    router,
    path="/targets/{target_id}/secrets",
    name="rotate_target_secret",
    id_parameter="target_id",
    principal=SignedInDep,
    rotate=service.rotate_secret,
    description="Answers a new `whsec_` secret, shown this once. For `overlap_hours` every "
    "delivery carries two signatures (old and new secret), so the receiver can switch at "
    "any moment in between; then only the new one signs.",
    responses=problem_responses(AUTH, ADMIN, NOT_FOUND),
)
