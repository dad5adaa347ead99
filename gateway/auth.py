"""Who is calling the gateway.

People and machines present ``Authorization: Bearer <token>`` signed with the gateway's own
secret (not the internal one); nobody signed in is the public principal. Login and client
credentials that issue these tokens belong to the gateway's users feature; until then
``ruralnet token`` mints one for development.
"""

from fastapi import Request

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
    header = request.headers.get("authorization")
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
        secret=request.app.state.settings.jwt_secret.get_secret_value(),
        issuer=USER_ISSUER,
        audience=USER_AUDIENCE,
    )
