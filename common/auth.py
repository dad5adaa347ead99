"""Internal service authentication.

The gateway authenticates people and machines, then calls a service with a short-lived
token signed with the shared internal secret (HS256), carrying the principal: who, which
role, which division subtree they act in, and for operators and carriers which station or
carrier is theirs. Services verify it on every route except health and OpenAPI, and still
enforce object-level rules themselves.
"""

import time
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from common.errors import Forbidden, Unauthorized

ISSUER = "ruralnet-gateway"
AUDIENCE = "ruralnet-services"
ALGORITHM = "HS256"


class Role(StrEnum):
    ADMIN = "admin"  # national administrator: every division
    OFFICIAL = "official"  # commerce-bureau official, scoped to a division subtree
    OPERATOR = "operator"  # operator of one station
    CARRIER = "carrier"  # a logistics company's integration
    PLATFORM = "platform"  # provincial platform or MOFCOM feed: read only
    ORGANISER = "organiser"  # a training organiser (承办企业), bound to its credit code
    SERVICE = "service"  # another ruralnet component
    PUBLIC = "public"  # nobody signed in


class Principal(BaseModel):
    subject: str = Field(examples=["user:42"])
    role: Role
    division: str | None = Field(
        default=None,
        description="code prefix of the division subtree the principal acts in "
        "(e.g. '141124' for a county); None means the whole country",
        examples=["141124"],
    )
    station: str | None = Field(default=None, description="station code, for operators")
    carrier: str | None = Field(default=None, description="carrier code, for carriers")
    organiser: str | None = Field(
        default=None, description="unified social credit code, for training organisers"
    )

    def covers(self, division_code: str) -> bool:
        """Whether a division (12-digit code) lies inside this principal's subtree."""
        return self.division is None or division_code.startswith(self.division)


def encode_principal(
    principal: Principal, *, secret: str, issuer: str, audience: str, ttl_seconds: int
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "sub": principal.subject,
        "role": principal.role.value,
        "div": principal.division,
        "stn": principal.station,
        "car": principal.carrier,
        "org": principal.organiser,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_principal(token: str, *, secret: str, issuer: str, audience: str) -> Principal:
    """The principal a token carries; 401 ``token_expired`` or ``token_invalid`` otherwise."""
    invalid = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        return Principal(
            subject=claims["sub"],
            role=Role(claims.get("role")),
            division=claims.get("div"),
            station=claims.get("stn"),
            carrier=claims.get("car"),
            organiser=claims.get("org"),
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthorized(
            "The token has expired", detail_zh="令牌已过期", code="token_expired", headers=invalid
        ) from e
    except (jwt.PyJWTError, ValueError) as e:
        raise Unauthorized(
            f"The token is invalid: {e}",
            detail_zh="令牌无效",
            code="token_invalid",
            headers=invalid,
        ) from e


def mint_internal_token(principal: Principal, *, secret: str, ttl_seconds: int = 60) -> str:
    return encode_principal(
        principal, secret=secret, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=ttl_seconds
    )


def verify_internal_token(token: str, *, secret: str) -> Principal:
    return decode_principal(token, secret=secret, issuer=ISSUER, audience=AUDIENCE)


_bearer = HTTPBearer(auto_error=False, description="internal token minted by the gateway")


async def require_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "An internal bearer token is required; call the services through the gateway",
            detail_zh="缺少内部令牌,请通过网关访问",
            code="token_missing",
            headers={"WWW-Authenticate": "Bearer"},
        )
    secret = request.app.state.settings.internal_secret.get_secret_value()
    principal = verify_internal_token(credentials.credentials, secret=secret)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]


def require_roles(*roles: Role):
    allowed = frozenset(roles)

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"Role {principal.role} may not do this; allowed: {', '.join(sorted(allowed))}",
                detail_zh=f"角色 {principal.role} 无权执行此操作",
                code="role_forbidden",
            )
        return principal

    return dependency
