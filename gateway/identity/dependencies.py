"""Who calls the gateway's own routes (``/auth/…``), as ``Annotated`` dependencies."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2

from common.auth import Principal, sign_in_required
from common.errors import Unauthorized
from common.pagination import PageParams, page_params
from gateway.identity.scopes import SCOPES
from gateway.identity.tokens import Verified

TOKEN_URL = "/auth/token"


def _oauth2() -> OAuth2:
    """How callers get a token, as OpenAPI declares it: ``/docs`` "Authorize" signs a person
    in with the password flow, a machine with client credentials. The token itself is
    checked by ``AccessTokens``."""
    return OAuth2(
        flows=OAuthFlows(
            password=OAuthFlowPassword(tokenUrl=TOKEN_URL, refreshUrl=TOKEN_URL, scopes={}),
            clientCredentials=OAuthFlowClientCredentials(
                tokenUrl=TOKEN_URL, scopes={s.name: s.description for s in SCOPES.values()}
            ),
        ),
        scheme_name="ruralnet",
        description="People: phone number as username, and password. Machines: client id "
        "and secret from an admin (`POST /auth/clients`).",
        auto_error=False,
    )


bearer = _oauth2()


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; 401 for another scheme."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Authorization must be 'Bearer <token>'",
            detail_zh="Authorization 头应为 'Bearer <令牌>'",
            code="token_invalid",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


async def verified_caller(request: Request, _: Annotated[str | None, Depends(bearer)]) -> Verified:
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise sign_in_required("do this", "执行此操作")
    verified: Verified = request.app.state.access_tokens.verify(token)
    request.state.principal = verified.principal
    return verified


VerifiedDep = Annotated[Verified, Depends(verified_caller)]


async def signed_in(verified: VerifiedDep) -> Principal:
    return verified.principal


SignedInDep = Annotated[Principal, Depends(signed_in)]
PageDep = Annotated[PageParams, Depends(page_params)]
