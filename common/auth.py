"""Internal service authentication, and the one definition of a principal.

The gateway authenticates people and machines, then calls a service with a short-lived
token signed with the shared internal secret (HS256), carrying the principal: who, which
role, and the one thing the role acts on — a division subtree for officials and platforms,
a station for operators, a carrier for carriers, a unified social credit code for training
organisers. Services verify it on every route except health and OpenAPI, and still enforce
object-level rules themselves.

A principal is strict (ADR 0009): a scope is a division code at a level boundary, normalised
to its significant digits; national reach is the admin role or the explicit ``NATION``
scope, never a missing or short field; a role carries exactly its own fields. The same
checks run where a token is minted and where it is verified, so a malformed token cannot
widen anything: it is refused with 401 ``token_invalid``.
"""

import re
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Self

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from common.errors import Unauthorized
from common.identifiers import (
    PREFIX_LENGTH,
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    normalize_credit_code,
    normalize_station_code,
)

ISSUER = "ruralnet-gateway"
AUDIENCE = "ruralnet-services"
ALGORITHM = "HS256"

# The explicit national scope of an official or a platform (MOFCOM's staff and feeds). A
# word, not a code: no division code, short or padded, can be mistaken for it.
NATION = "nation"


class Role(StrEnum):
    ADMIN = "admin"  # national administrator: every division, by role
    OFFICIAL = "official"  # commerce-bureau official, scoped to a division subtree or NATION
    OPERATOR = "operator"  # operator of one station
    CARRIER = "carrier"  # a logistics company's integration, one carrier code
    PLATFORM = "platform"  # provincial platform or MOFCOM feed: read only, division or NATION
    ORGANISER = "organiser"  # training organiser (承办单位), bound to its credit code
    SERVICE = "service"  # another ruralnet component
    PUBLIC = "public"  # nobody signed in


# What each role acts on: every field named here is required, every other one refused.
ROLE_FIELDS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(),
    Role.OFFICIAL: frozenset({"division"}),
    Role.OPERATOR: frozenset({"station"}),
    Role.CARRIER: frozenset({"carrier"}),
    Role.PLATFORM: frozenset({"division"}),
    Role.ORGANISER: frozenset({"organiser"}),
    Role.SERVICE: frozenset(),
    Role.PUBLIC: frozenset(),
}
_SCOPED_FIELDS = ("division", "station", "carrier", "organiser")
# Levels an official or platform can be scoped to: nobody administers a single village.
SCOPE_LEVELS = (
    DivisionLevel.PROVINCE,
    DivisionLevel.PREFECTURE,
    DivisionLevel.COUNTY,
    DivisionLevel.TOWNSHIP,
)
_SCOPE_SHAPE = re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}")
# kuaidi100-style company codes: ``ems``, ``youzhengguonei``, ``jtexpress`` …
CARRIER_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")
# Who: ``user:42``, ``service:logistics``. It is stored (``submitted_by``) and logged, so no
# control characters (PostgreSQL refuses NUL in text).
_SUBJECT = r"^[^\x00-\x1f\x7f]{1,200}$"


def normalize_scope(raw: object) -> str:
    """The one form of a division scope: ``NATION``, or the significant digits of a
    province, prefecture, county or township (``"14"``, ``"1411"``, ``"141124"``,
    ``"141124100"``). Accepted as those digits or zero-padded at a level boundary
    (``"141100"``, ``"141124000000"``); anything else raises ``ValueError``."""
    if raw == NATION:
        return NATION
    if not isinstance(raw, str) or not _SCOPE_SHAPE.fullmatch(raw):
        raise ValueError(
            f"division scope {raw!r} is not a division code: give the 2, 4, 6 or 9 "
            "significant digits (or the 12-digit code) of a province, prefecture, county or "
            f"township, or {NATION!r}"
        )
    code = raw.ljust(12, "0")
    try:
        level = division_level(code)
    except InvalidDivisionCode as e:
        raise ValueError(
            f"division scope {raw!r} is not a division code at a level boundary ({e})"
        ) from e
    if code[:2] == "00":
        raise ValueError(f"division scope {raw!r} has no province")
    if level not in SCOPE_LEVELS:
        raise ValueError(
            f"division scope {raw!r} is a village code, not a province, prefecture, county or "
            "township"
        )
    return code[: PREFIX_LENGTH[level]]


def _custom(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


class Principal(BaseModel):
    """Who calls, in which role, acting on what. Construct it only with valid fields: it
    refuses a malformed scope and a field its role does not carry (``ValidationError``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    subject: str = Field(pattern=_SUBJECT, examples=["user:42"])
    role: Role
    division: str | None = Field(
        default=None,
        description="officials and platforms only: the division subtree they act in, as its "
        f"significant digits ('141124' = a county), or '{NATION}' for the whole country",
        examples=["141124"],
    )
    station: str | None = Field(default=None, description="operators only: their station")
    carrier: str | None = Field(default=None, description="carriers only: their carrier code")
    organiser: str | None = Field(
        default=None,
        description="training organisers only: their unified social credit code (GB 32100)",
    )

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: object) -> Role:
        try:
            return Role(value)
        except ValueError as e:
            raise _custom("unknown_role", f"unknown role {value!r}") from e

    @field_validator("division")
    @classmethod
    def _division(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_scope(value)
        except ValueError as e:
            raise _custom("invalid_scope", str(e)) from e

    @field_validator("station")
    @classmethod
    def _station(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_station_code(value)
        except ValueError as e:
            raise _custom("invalid_station", f"station {value!r}: {e}") from e

    @field_validator("carrier")
    @classmethod
    def _carrier(cls, value: str | None) -> str | None:
        if value is not None and not CARRIER_CODE.fullmatch(value):
            raise _custom(
                "invalid_carrier",
                f"carrier {value!r} is not a carrier code (lower-case letters and digits)",
            )
        return value

    @field_validator("organiser")
    @classmethod
    def _organiser(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # The token carries the canonical form; a lower-case or padded one is not it.
        try:
            canonical = normalize_credit_code(value)
        except ValueError as e:
            raise _custom("invalid_organiser", f"organiser {value!r}: {e}") from e
        if canonical != value:
            raise _custom("invalid_organiser", f"organiser {value!r} is not written canonically")
        return value

    @model_validator(mode="after")
    def _fields_of_the_role(self) -> Self:
        wanted = ROLE_FIELDS[self.role]
        missing = [f for f in sorted(wanted) if getattr(self, f) is None]
        extra = [f for f in _SCOPED_FIELDS if f not in wanted and getattr(self, f) is not None]
        if missing:
            hint = f" (or {NATION!r} for the whole country)" if "division" in missing else ""
            raise _custom("missing_scope", f"role {self.role} needs {', '.join(missing)}{hint}")
        if extra:
            raise _custom("foreign_fields", f"role {self.role} carries no {', '.join(extra)}")
        return self

    @property
    def national(self) -> bool:
        """Whether the principal reaches every division (admins, services, NATION scope)."""
        return self.role in (Role.ADMIN, Role.SERVICE) or self.division == NATION

    def covers(self, division_code: str) -> bool:
        """Whether a division (12-digit code) lies inside this principal's subtree.

        Admins and services reach everything; officials and platforms their subtree;
        operators, carriers, organisers and the public no division at all.
        """
        if self.national:
            return True
        return self.division is not None and division_code.startswith(self.division)


def scope_reason(error: ValidationError) -> str:
    """What is wrong with a principal, in one line (no pydantic boilerplate)."""
    return "; ".join(item["msg"] for item in error.errors(include_url=False))


_REASON_ZH = {
    "invalid_scope": "管辖范围必须是省、市、县或乡级区划代码,或 nation(全国)",
    "missing_scope": "该角色的令牌缺少其管辖范围(区划、站点、快递公司或承办单位)",
    "foreign_fields": "令牌含有不属于该角色的字段",
    "invalid_station": "站点编号无效",
    "invalid_carrier": "快递公司代码无效",
    "invalid_organiser": "承办单位统一社会信用代码无效",
    "unknown_role": "未知角色",
}


def _reason_zh(error: ValidationError) -> str:
    kinds = [item["type"] for item in error.errors(include_url=False)]
    return ";".join(dict.fromkeys(_REASON_ZH.get(k, "字段无效") for k in kinds))


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    return Principal(
        subject=claims.get("sub"),  # type: ignore[arg-type]
        role=claims.get("role"),  # type: ignore[arg-type]
        division=claims.get("div"),
        station=claims.get("stn"),
        carrier=claims.get("car"),
        organiser=claims.get("org"),
    )


def encode_principal(
    principal: Principal,
    *,
    secret: str,
    issuer: str,
    audience: str,
    ttl_seconds: int,
    issued_at: int | None = None,
) -> str:
    # Checked again here: a principal made with ``model_construct`` skipped validation.
    checked = Principal.model_validate(principal.model_dump())
    now = int(time.time()) if issued_at is None else issued_at
    claims = {
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "sub": checked.subject,
        "role": checked.role.value,
        "div": checked.division,
        "stn": checked.station,
        "car": checked.carrier,
        "org": checked.organiser,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, ALGORITHM)


_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def decode_principal(token: str, *, secret: str, issuer: str, audience: str) -> Principal:
    """The principal a token carries; 401 ``token_expired`` or ``token_invalid`` otherwise."""
    return _decode(token, secret=secret, issuer=issuer, audience=audience)[0]


def _decode(token: str, *, secret: str, issuer: str, audience: str) -> tuple[Principal, int]:
    """The principal a token carries and when the token expires (``exp``)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthorized(
            "The token has expired", detail_zh="令牌已过期", code="token_expired", headers=_INVALID
        ) from e
    except jwt.PyJWTError as e:
        raise Unauthorized(
            f"The token is invalid: {e}",
            detail_zh="令牌无效",
            code="token_invalid",
            headers=_INVALID,
        ) from e
    try:
        return principal_from_claims(claims), claims["exp"]
    except ValidationError as e:
        raise Unauthorized(
            f"The token is invalid: {scope_reason(e)}",
            detail_zh=f"令牌无效:{_reason_zh(e)}",
            code="token_invalid",
            headers=_INVALID,
        ) from e


def mint_internal_token(
    principal: Principal, *, secret: str, ttl_seconds: int = 60, issued_at: int | None = None
) -> str:
    return encode_principal(
        principal,
        secret=secret,
        issuer=ISSUER,
        audience=AUDIENCE,
        ttl_seconds=ttl_seconds,
        issued_at=issued_at,
    )


class InternalTokens:
    """Internal tokens for principals, each signed once and handed out for most of its
    lifetime: the gateway asks for one on every forwarded request, and signing (validating
    the principal again, JSON, HMAC, base64) was a tenth of its work per request.

    A token is reused until only a third of its lifetime is left (20 s of the default 60):
    a service verifies it when the request arrives, milliseconds after it is handed out, so
    no request carries a token about to expire. Revocation is unaffected: it is the caller's
    own token that the gateway checks on every request, and this one only says who it is.
    """

    # Principals kept at once; beyond that the cache starts again (a scanner minting
    # principals by the thousand costs it its hits, never memory).
    CACHED = 10_000
    REUSED_SHARE = 2 / 3

    def __init__(
        self, secret: str, ttl_seconds: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._reuse_for = ttl_seconds * self.REUSED_SHARE
        self._clock = clock
        self._tokens: dict[Principal, tuple[str, float]] = {}

    def __call__(self, principal: Principal) -> str:
        now = self._clock()
        cached = self._tokens.get(principal)
        if cached is not None and now < cached[1]:
            return cached[0]
        issued_at = int(now)
        token = mint_internal_token(
            principal, secret=self._secret, ttl_seconds=self._ttl, issued_at=issued_at
        )
        if len(self._tokens) >= self.CACHED:
            self._tokens.clear()
        self._tokens[principal] = (token, issued_at + self._reuse_for)
        return token

    def __len__(self) -> int:
        """Principals with a token kept."""
        return len(self._tokens)


def verify_internal_token(token: str, *, secret: str) -> Principal:
    return decode_principal(token, secret=secret, issuer=ISSUER, audience=AUDIENCE)


class VerifiedInternalTokens:
    """:func:`verify_internal_token` with a memory, one per app (``app.state``): the gateway
    reuses a token for most of its lifetime (:class:`InternalTokens`), and PyJWT spends
    ~0.1–0.3 ms on each verification (a Python loop over every character, and a check that
    the HMAC secret is no PEM, SSH or DER key, on every call). A token that verified is
    remembered until its ``exp``; one that did not is never remembered, so a forged or
    expired token is refused as before, each time.
    """

    CACHED = 10_000

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._clock = clock
        self._verified: dict[str, tuple[Principal, int]] = {}

    def __call__(self, token: str) -> Principal:
        known = self._verified.get(token)
        # PyJWT's rule: expired once ``exp`` is not after now.
        if known is not None and self._clock() < known[1]:
            return known[0]
        principal, expires = _decode(token, secret=self._secret, issuer=ISSUER, audience=AUDIENCE)
        if len(self._verified) >= self.CACHED:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def __len__(self) -> int:
        """Tokens remembered."""
        return len(self._verified)


_bearer = HTTPBearer(auto_error=False, description="internal token minted by the gateway")
# Methods that change nothing (RFC 9110 §9.2.1); the public may use no other (401, so a
# client knows to sign in, rather than 403, which says signing in would not help).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def sign_in_required(doing: str = "do this", doing_zh: str = "执行此操作") -> Unauthorized:
    return Unauthorized(
        f"Sign in to {doing}",
        detail_zh=f"请先登录再{doing_zh}",
        code="authentication_required",
        headers={"WWW-Authenticate": "Bearer"},
    )


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
    verified: VerifiedInternalTokens = request.app.state.internal_tokens
    principal = verified(credentials.credentials)
    request.state.principal = principal
    if principal.role is Role.PUBLIC and request.method not in SAFE_METHODS:
        raise sign_in_required("change anything", "修改数据")
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]


async def require_signed_in(principal: PrincipalDep) -> Principal:
    """Anyone but the public: for reads that are not public records (ADR 0009)."""
    if principal.role is Role.PUBLIC:
        raise sign_in_required("read this", "查看此内容")
    return principal


SignedInDep = Annotated[Principal, Depends(require_signed_in)]
