"""``/auth/users``: accounts and delegated administration; ``/auth/me``: one's own."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from common.auth import Principal
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.pagination import Page, next_link
from gateway.identity.audit.service import Origin
from gateway.identity.context import IdentityDep
from gateway.identity.dependencies import PageDep, SignedInDep, VerifiedDep
from gateway.identity.errors import TooManyRequests
from gateway.identity.users import service
from gateway.identity.users.models import UserRole, UserStatus
from gateway.identity.users.schemas import (
    PasswordChange,
    PasswordReset,
    StationCode,
    UserCreate,
    UserOut,
    UserPatch,
)

router = APIRouter(prefix="/auth", tags=["identity: accounts"])

UserId = Annotated[int, Path(ge=1, le=2**62, description="account id")]
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version the change is based on")
]
_AUTH = (
    Unauthorized,
    "`authentication_required`, `token_invalid`, `token_expired`, `token_revoked`",
)
_NOT_FOUND = (NotFound, "`user_not_found` (also for an account outside your subtree)")
_WEAK = (
    "`password_too_short`, `password_common`, `password_contains_phone`, `password_too_long`, "
    "`password_invalid` (field password)"
)
_SCOPE = (
    Forbidden,
    "`role_forbidden`; `outside_scope`: the account lies outside your subtree; "
    "`scope_wider_than_yours`: an official cannot give a wider scope than their own; "
    "`admins_only`",
)
_STATIONS_DOWN = (ServiceUnavailable, "`stations_unreachable`: retry after `Retry-After`")


def _user_response(user: UserOut, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(user.version)}
    if status_code == 201:
        headers["Location"] = f"/auth/users/{user.id}"
    return JSONResponse(user.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.post(
    "/users",
    status_code=201,
    summary="Create an account",
    description="Admins create any account; an official creates officials (scoped inside "
    "their own subtree, never wider) and operators (of a station inside it). A retry of the "
    "same request is answered `phone_taken`: one account per phone, never two.",
    response_model=UserOut,
    responses=problem_responses(
        _AUTH,
        _SCOPE,
        (Conflict, "`phone_taken` (field phone)"),
        (
            Unprocessable,
            f"`invalid_phone`, `invalid_scope`, `missing_scope`, `foreign_scope`, "
            f"`division_not_found`, `station_not_found`, `station_closed`; {_WEAK}",
        ),
        _STATIONS_DOWN,
    ),
)
async def create_user(
    request: Request,
    body: UserCreate,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
) -> Response:
    user = await service.create_user(
        session, identity, principal, body, Origin.of(request, principal.subject)
    )
    return _user_response(service.user_out(user), 201)


@router.get(
    "/users",
    summary="List the accounts you manage",
    description="Admins see every account; an official the officials and operators of their "
    "subtree. In id order, keyset-paginated (`next`).",
    response_model=Page[UserOut],
    responses=problem_responses(
        _AUTH, (Forbidden, "`role_forbidden`"), (BadRequest, "`invalid_cursor`")
    ),
)
async def list_users(
    request: Request,
    session: SessionDep,
    principal: SignedInDep,
    params: PageDep,
    role: UserRole | None = None,
    status: UserStatus | None = None,
    station: Annotated[StationCode | None, Query(description="operators of this station")] = None,
) -> Page[UserOut]:
    filters = {
        "role": None if role is None else role.value,
        "status": None if status is None else status.value,
        "station": station,
    }
    rows = await service.list_users(session, principal, params, filters)
    return Page(
        items=[service.user_out(u) for u in rows[: params.limit]],
        next=next_link(request, rows, params, lambda u: [u.id]),
    )


@router.get(
    "/users/{user_id}",
    summary="An account",
    response_model=UserOut,
    responses=problem_responses(_AUTH, (Forbidden, "`role_forbidden`"), _NOT_FOUND),
)
async def read_user(user_id: UserId, session: SessionDep, principal: SignedInDep) -> Response:
    return _user_response(service.user_out(await service.read_user(session, principal, user_id)))


@router.patch(
    "/users/{user_id}",
    summary="Change or disable an account",
    description="Needs `If-Match`. Disabling, or moving an account to another scope or "
    "station, ends its sessions at once.",
    response_model=UserOut,
    responses=problem_responses(
        _AUTH,
        _SCOPE,
        _NOT_FOUND,
        (Conflict, "`cannot_disable_yourself`"),
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (
            Unprocessable,
            "`invalid_scope`, `missing_scope`, `foreign_scope`, `division_not_found`, "
            "`station_not_found`, `station_closed`",
        ),
        _STATIONS_DOWN,
    ),
)
async def update_user(
    request: Request,
    user_id: UserId,
    body: UserPatch,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
    if_match: IfMatchHeader = None,
) -> Response:
    user = await service.update_user(
        session, identity, principal, user_id, body, if_match, Origin.of(request, principal.subject)
    )
    return _user_response(service.user_out(user))


@router.put(
    "/users/{user_id}/password",
    status_code=204,
    summary="Set an account's password",
    description="For the operator who forgot theirs: a manager sets a new one, and every "
    "session of the account ends.",
    responses=problem_responses(_AUTH, _SCOPE, _NOT_FOUND, (Unprocessable, _WEAK)),
)
async def reset_password(
    request: Request,
    user_id: UserId,
    body: PasswordReset,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
) -> Response:
    await service.reset_password(
        session, identity, principal, user_id, body.password, Origin.of(request, principal.subject)
    )
    return Response(status_code=204)


class Me(BaseModel):
    """Who the token says you are, and your account when you are a person."""

    principal: Principal
    scopes: list[str] | None = Field(default=None, description="machines: the scopes granted")
    account: UserOut | None = None


@router.get(
    "/me",
    summary="Who am I",
    response_model=Me,
    responses=problem_responses(_AUTH),
)
async def read_me(session: SessionDep, verified: VerifiedDep) -> Me:
    user = await service.me(session, verified.principal)
    return Me(
        principal=verified.principal,
        scopes=None if verified.scopes is None else sorted(verified.scopes),
        account=None if user is None else service.user_out(user),
    )


@router.put(
    "/me/password",
    status_code=204,
    summary="Change my password",
    description="Every session ends, this one too: sign in again with the new password.",
    responses=problem_responses(
        _AUTH,
        (Forbidden, "`current_password_wrong` (field current_password), `not_a_user`"),
        (Unprocessable, f"{_WEAK}; `password_unchanged`"),
        (TooManyRequests, "`account_locked`"),
    ),
)
async def change_my_password(
    request: Request,
    body: PasswordChange,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
) -> Response:
    await service.change_own_password(
        session, identity, principal, body, Origin.of(request, principal.subject)
    )
    return Response(status_code=204)
