"""Who is calling the gateway.

People and machines present ``Authorization: Bearer <token>`` signed with the gateway's own
secret (not the internal one); nobody signed in is the public principal. Login and client
credentials that issue these tokens belong to the gateway's users feature; until then
``ruralnet token`` mints one for development.
"""

from fastapi import Request
from pydantic import SecretStr

from common.auth import Principal, Role, decode_principal, encode_principal
from common.errors import Unauthorized

USER_ISSUER = "ruralnet"
USER_AUDIENCE = "ruralnet-api"
PUBLIC = Principal(subject="anonymous", role=Role.PUBLIC)


def mint_user_token(principal: Principal, *, secret: str, ttl_seconds: int = 8 * 3600) -> str:
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
    return decode_principal(
        token.strip(),
        secret=secret.get_secret_value(),
        issuer=USER_ISSUER,
        audience=USER_AUDIENCE,
    )
