"""Who is calling the gateway.

People and machines present ``Authorization: Bearer <token>`` signed with the gateway's own
secret (not the internal one); nobody signed in is the public principal. Login and client
credentials that issue these tokens belong to the gateway's users feature; until then
``ruralnet token`` mints one for development.

A user token carries a person's or a partner's role: never ``service`` (components call each
other with internal tokens, not through the gateway) nor ``public`` (that is no token at
all). Its principal is as strict as an internal one (``common.auth``): a malformed scope is
401 here and never reaches a service.
"""

from fastapi import Request
from pydantic import SecretStr

from common.auth import Principal, Role, decode_principal, encode_principal
from common.errors import Unauthorized

USER_ISSUER = "ruralnet"
USER_AUDIENCE = "ruralnet-api"
PUBLIC = Principal(subject="anonymous", role=Role.PUBLIC)
USER_ROLES = frozenset(Role) - {Role.SERVICE, Role.PUBLIC}


class NotAUserRole(ValueError):
    pass


def mint_user_token(principal: Principal, *, secret: str, ttl_seconds: int = 8 * 3600) -> str:
    if principal.role not in USER_ROLES:
        raise NotAUserRole(
            f"a user token cannot carry role {principal.role}; one of: "
            f"{', '.join(sorted(USER_ROLES))}"
        )
    return encode_principal(
        principal,
        secret=secret,
        issuer=USER_ISSUER,
        audience=USER_AUDIENCE,
        ttl_seconds=ttl_seconds,
    )


def authenticate(request: Request) -> Principal:
    return principal_from_header(
        request.headers.get("authorization"), request.app.state.settings.jwt_secret
    )


def principal_from_header(header: str | None, secret: SecretStr) -> Principal:
    """Who sends this ``Authorization`` header: the public principal when there is none."""
    if not header:
        return PUBLIC
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Authorization must be 'Bearer <token>'",
            detail_zh="Authorization 头应为 'Bearer <令牌>'",
            code="token_invalid",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = decode_principal(
        token.strip(),
        secret=secret.get_secret_value(),
        issuer=USER_ISSUER,
        audience=USER_AUDIENCE,
    )
    if principal.role not in USER_ROLES:
        raise Unauthorized(
            f"The token is invalid: role {principal.role} is not given to users",
            detail_zh=f"令牌无效:角色 {principal.role} 不可用于用户令牌",
            code="token_invalid",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal
