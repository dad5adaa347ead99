"""Who is calling the gateway.

People and machines present ``Authorization: Bearer <token>``: an access token from
``POST /auth/token`` (``gateway.identity``), signed with the gateway's own secret (not the
internal one); nobody signed in is the public principal. ``ruralnet token`` mints one for
development only.

A user token carries a person's or a partner's role: never ``service`` (components call each
other with internal tokens, not through the gateway) nor ``public`` (that is no token at
all). Its principal is as strict as an internal one (``common.auth``): a malformed scope is
401 here and never reaches a service; a revoked one (signed out, disabled, password changed)
is 401 ``token_revoked`` (ADR 0060).
"""

from fastapi import Request

from common.auth import Principal, Role
from gateway.identity.dependencies import bearer_token
from gateway.identity.scopes import MACHINE_ROLES, require_scope, scopes_of_kind
from gateway.identity.tokens import USER_AUDIENCE, USER_ISSUER, USER_ROLES, mint_access_token

__all__ = ["USER_AUDIENCE", "USER_ISSUER", "USER_ROLES", "authenticate", "mint_user_token"]

PUBLIC = Principal(subject="anonymous", role=Role.PUBLIC)


class NotAUserRole(ValueError):
    pass


def mint_user_token(
    principal: Principal,
    *,
    secret: str,
    ttl_seconds: int = 8 * 3600,
    scopes: frozenset[str] | None = None,
) -> str:
    """A development token (``ruralnet token``, tests): no session, generation 0; a machine
    role holds ``scopes``, by default every scope of its kind."""
    if principal.role not in USER_ROLES:
        raise NotAUserRole(
            f"a user token cannot carry role {principal.role}; one of: "
            f"{', '.join(sorted(USER_ROLES))}"
        )
    if principal.role in MACHINE_ROLES and scopes is None:
        scopes = scopes_of_kind(principal.role)
    return mint_access_token(principal, secret=secret, ttl_seconds=ttl_seconds, scopes=scopes)


def authenticate(request: Request) -> Principal:
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return PUBLIC
    verified = request.app.state.access_tokens.verify(token)
    request.state.scopes = verified.scopes
    return verified.principal


def authorize_forward(request: Request, service: str, path: str) -> None:
    """A machine's token must hold a scope for what it asks of a service (ADR 0062)."""
    require_scope(getattr(request.state, "scopes", None), service, path, request.method)
