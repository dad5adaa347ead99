"""``POST /auth/token`` (RFC 6749 token endpoint) and ``POST /auth/logout``."""

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from common.db import SessionDep
from common.errors import BadRequest, Forbidden, Unauthorized, problem_responses
from gateway.identity import errors
from gateway.identity.audit.service import Origin
from gateway.identity.clients import service as clients
from gateway.identity.context import IdentityDep
from gateway.identity.dependencies import VerifiedDep
from gateway.identity.sessions import service
from gateway.identity.sessions.schemas import TokenResponse

router = APIRouter(prefix="/auth", tags=["identity: sign-in"])
FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANTS = ("password", "refresh_token", "client_credentials")
FormField = Annotated[str | None, Form(max_length=4096)]


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """``Authorization: Basic`` client credentials (RFC 6749 §2.3.1: form-encoded, then
    base64), or None when the header is absent."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise errors.invalid_client(basic=True)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as e:
        raise errors.invalid_client(basic=True) from e
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise errors.invalid_client(basic=True)
    return unquote(client_id), unquote(secret)


def _required(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise errors.invalid_request(f"{name} is required", f"缺少参数 {name}", field=name)
    if "\x00" in value:
        raise errors.invalid_request(
            f"{name} holds a NUL character", f"参数 {name} 含有空字符", field=name
        )
    return value


@router.post(
    "/token",
    summary="Get tokens (OAuth2 token endpoint)",
    description="RFC 6749, form-encoded.\n\n"
    "- **People**: `grant_type=password` with `username` (the mobile number) and "
    "`password`; the answer holds an access token (minutes) and a refresh token. "
    "`grant_type=refresh_token` with `refresh_token` gives new ones (each refresh token "
    "works once).\n"
    "- **Machines**: `grant_type=client_credentials`, the client id and secret as HTTP Basic "
    "(or `client_id` and `client_secret` in the form), optionally `scope`; an access token "
    "only.\n\nErrors carry RFC 6749's `error` beside the problem's `code`.",
    response_model=TokenResponse,
    responses=problem_responses(
        (
            BadRequest,
            "`invalid_request` (missing or malformed parameter); `unsupported_grant_type`; "
            "`invalid_grant`: `refresh_token_invalid`, `refresh_token_reused` (the session is "
            "ended), `refresh_token_expired`, `session_ended`; `invalid_scope`: "
            "`scope_not_granted`",
        ),
        (
            Unauthorized,
            "`invalid_grant`: `invalid_credentials` (wrong phone or password, one answer for "
            "both); `invalid_client`: `invalid_client`, `client_disabled`",
        ),
        (Forbidden, "`invalid_grant`: `user_disabled`"),
        (
            errors.TooManyRequests,
            "`account_locked`: too many failures for this phone or address; `unlocks_at` and "
            "`Retry-After` say when to try again",
        ),
    ),
)
async def token(
    request: Request,
    session: SessionDep,
    identity: IdentityDep,
    grant_type: FormField = None,
    username: FormField = None,
    password: FormField = None,
    refresh_token: FormField = None,
    scope: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
) -> JSONResponse:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise errors.invalid_request(
            f"send the parameters form-encoded ({FORM}), as RFC 6749 says",
            f"请以表单编码({FORM})发送参数",
        )
    origin = Origin.of(request)
    grant = _required(grant_type, "grant_type")
    if grant == "password":
        answer = await service.password_grant(
            session,
            identity,
            _required(username, "username"),
            _required(password, "password"),
            origin,
        )
    elif grant == "refresh_token":
        answer = await service.refresh_grant(
            session, identity, _required(refresh_token, "refresh_token"), origin
        )
    elif grant == "client_credentials":
        basic = _basic_credentials(request)
        if basic is not None and (client_id is not None or client_secret is not None):
            raise errors.invalid_request(
                "authenticate the client one way only: HTTP Basic or the form, not both",
                "客户端认证只能用一种方式:HTTP Basic 或表单参数",
            )
        if basic is None:
            basic_used = False
            cid, secret = (
                _required(client_id, "client_id"),
                _required(client_secret, "client_secret"),
            )
        else:
            basic_used = True
            cid, secret = basic
        answer = await clients.client_credentials_grant(
            session, identity, cid, secret, scope, origin, basic=basic_used
        )
    else:
        raise errors.oauth(
            BadRequest,
            "unsupported_grant_type",
            f"grant_type {grant!r} is not supported; one of {', '.join(GRANTS)}",
            f"不支持的授权类型 {grant!r}",
            "unsupported_grant_type",
            field="grant_type",
        )
    return JSONResponse(answer.model_dump(exclude_none=True), headers=_NO_STORE)


@router.post(
    "/logout",
    status_code=204,
    summary="Sign out",
    description="Ends the session of this access token: its refresh token no longer works "
    "and its access tokens are refused from now on.",
    responses=problem_responses((Unauthorized, "`authentication_required`, `token_invalid`")),
)
async def logout(
    request: Request, session: SessionDep, identity: IdentityDep, verified: VerifiedDep
) -> Response:
    origin = Origin.of(request, verified.principal.subject)
    await service.logout(session, identity, verified.principal, verified.session_id, origin)
    return Response(status_code=204)
