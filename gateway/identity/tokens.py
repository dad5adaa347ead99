"""Access tokens people and machines present to the gateway, and the revocations that end
them before they expire (ADR 0060).

An access token is a short-lived HS256 JWT signed with ``GATEWAY_JWT_SECRET``: the
principal's claims (``common.auth``), a ``jti``, the generation of its subject's rights
(``gen``), for people the session (``sid``) and for machines the granted ``scope``.
Verifying one is a signature check and two dictionary look-ups: the revocation list is a
small table every gateway process holds in memory, reloaded in the background every
``revocation_refresh_seconds``, and updated at once in the process that revoked.
"""

import asyncio
import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.auth import ALGORITHM, Principal, Role, principal_from_claims, scope_reason
from common.errors import Unauthorized
from common.logging import get_logger
from gateway.identity.scopes import MACHINE_ROLES
from gateway.identity.sessions.models import Revocation

log = get_logger(__name__)

USER_ISSUER = "ruralnet"
USER_AUDIENCE = "ruralnet-api"
USER_ROLES = frozenset(Role) - {Role.SERVICE, Role.PUBLIC}
_REQUIRED = ["exp", "iat", "sub", "iss", "aud"]
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def _invalid(detail: str, detail_zh: str, code: str = "token_invalid") -> Unauthorized:
    return Unauthorized(detail, detail_zh=detail_zh, code=code, headers=_INVALID)


@dataclass(frozen=True)
class Verified:
    """What a valid access token says."""

    principal: Principal
    # Machines: the scopes granted (gateway.identity.scopes); None for people, whose role
    # alone decides.
    scopes: frozenset[str] | None = None
    session_id: str | None = None
    token_id: str | None = None
    expires_at: int = 0
    generation: int | None = None


def mint_access_token(
    principal: Principal,
    *,
    secret: str,
    ttl_seconds: int,
    generation: int | None = None,
    session_id: uuid.UUID | None = None,
    scopes: frozenset[str] | None = None,
    client_id: str | None = None,
    now: float | None = None,
) -> str:
    if principal.role not in USER_ROLES:
        raise ValueError(f"a gateway token cannot carry role {principal.role}")
    if (scopes is None) == (principal.role in MACHINE_ROLES):
        raise ValueError("scopes are for machine clients' tokens, and they always carry them")
    # Validated again: a principal built with ``model_construct`` skipped it.
    checked = Principal.model_validate(principal.model_dump())
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": USER_ISSUER,
        "aud": USER_AUDIENCE,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "sub": checked.subject,
        "role": checked.role.value,
        "div": checked.division,
        "stn": checked.station,
        "car": checked.carrier,
        "org": checked.organiser,
        "gen": generation,
        "sid": None if session_id is None else str(session_id),
        "scope": None if scopes is None else " ".join(sorted(scopes)),
        "client_id": client_id,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, ALGORITHM)


@dataclass
class Revocations:
    """The revocation list as this process knows it: ``{key: generation}``; a session key
    maps to None (every token of it is refused)."""

    entries: dict[str, int | None] = field(default_factory=dict)
    loaded_at: float = 0.0

    def refuses(self, subject: str, generation: int | None, session_id: str | None) -> bool:
        """Whether a token of ``subject`` issued under ``generation`` in ``session_id`` is
        revoked. Tokens without a generation or session are development tokens
        (``ruralnet token``): only the gateway's secret makes them, and nothing revokes
        them but their expiry."""
        entries = self.entries
        if not entries:
            return False
        floor = entries.get(subject)
        if floor is not None and generation is not None and generation < floor:
            return True
        return session_id is not None and f"session:{session_id}" in entries

    def note(self, key: str, generation: int | None) -> None:
        """What this process revoked itself: effective at once, before the next reload."""
        self.entries = {**self.entries, key: generation}

    async def reload(self, session: AsyncSession) -> None:
        rows = await session.execute(
            select(Revocation.key, Revocation.generation).where(
                Revocation.expires_at > datetime.now(UTC)
            )
        )
        self.entries = {row[0]: row[1] for row in rows}
        self.loaded_at = time.monotonic()


async def record_revocation(
    session: AsyncSession, revocations: Revocations, key: str, generation: int | None, ttl: int
) -> None:
    """Refuse tokens of ``key`` (below ``generation``; all of a session) from now on, for as
    long as any of them can still be valid."""
    expires = datetime.fromtimestamp(time.time() + ttl, UTC)
    stmt = insert(Revocation).values(key=key, generation=generation, expires_at=expires)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Revocation.key],
            set_={"generation": stmt.excluded.generation, "expires_at": stmt.excluded.expires_at},
        )
    )
    revocations.note(key, generation)


@contextlib.asynccontextmanager
async def keep_revocations_fresh(
    revocations: Revocations, sessionmaker: async_sessionmaker[AsyncSession], every: float
) -> AsyncIterator[None]:
    """Reload the list now and then every ``every`` seconds while the app runs; purge rows
    nobody needs any more. A failed reload keeps the last list and is retried."""

    async def loop() -> None:
        while True:
            try:
                async with sessionmaker() as session, session.begin():
                    await session.execute(
                        delete(Revocation).where(Revocation.expires_at <= datetime.now(UTC))
                    )
                    await revocations.reload(session)
            except Exception as e:  # the database may be restarting: keep serving
                log.warning("revocation list not reloaded", error=type(e).__name__)
            await asyncio.sleep(every)

    task = asyncio.create_task(loop(), name="revocation-reload")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class AccessTokens:
    """Verifies gateway access tokens: signature, expiry, a strict principal, revocation.

    A client sends the same token for its whole life, so what its signature and claims
    proved is kept per token (the whole string, signature included: only that very token
    finds it) until it expires; the revocation check runs on every request all the same.
    """

    CACHED = 10_000

    def __init__(self, secret: str, revocations: Revocations) -> None:
        self._secret = secret
        self.revocations = revocations
        self._verified: dict[str, Verified] = {}

    def verify(self, token: str) -> Verified:
        verified = self._verified.get(token)
        if verified is None or verified.expires_at <= time.time():
            verified = self._decode(token)
            if len(self._verified) >= self.CACHED:
                self._verified.clear()
            self._verified[token] = verified
        principal = verified.principal
        if self.revocations.refuses(principal.subject, verified.generation, verified.session_id):
            raise _invalid(
                "The token was revoked (signed out, password changed or account disabled); "
                "sign in again",
                "令牌已失效(已退出登录、密码已修改或账号已停用),请重新登录",
                "token_revoked",
            )
        return verified

    def _decode(self, token: str) -> Verified:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=USER_AUDIENCE,
                issuer=USER_ISSUER,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError as e:
            raise _invalid("The token has expired", "令牌已过期", "token_expired") from e
        except jwt.PyJWTError as e:
            raise _invalid(f"The token is invalid: {e}", "令牌无效") from e
        try:
            principal = principal_from_claims(claims)
        except ValidationError as e:
            raise _invalid(f"The token is invalid: {scope_reason(e)}", "令牌无效") from e
        if principal.role not in USER_ROLES:
            raise _invalid(
                f"The token is invalid: role {principal.role} is not given to users",
                f"令牌无效:角色 {principal.role} 不可用于用户令牌",
            )
        generation = claims.get("gen")
        session_id = claims.get("sid")
        scope = claims.get("scope")
        if (
            not isinstance(generation, int | None)
            or not isinstance(session_id, str | None)
            or not isinstance(scope, str | None)
        ):
            raise _invalid("The token is invalid: malformed claims", "令牌无效")
        if (scope is None) == (principal.role in MACHINE_ROLES):
            # A machine's rights are its scopes: without the claim a token would hold them
            # all (ADR 0009: a malformed token never widens); a person's role decides alone.
            raise _invalid(
                "The token is invalid: "
                + (
                    "a client's token must say its scopes"
                    if scope is None
                    else "a person's token carries no scopes"
                ),
                "令牌无效:"
                + ("客户端令牌缺少权限范围" if scope is None else "个人令牌不应含权限范围"),
            )
        return Verified(
            principal=principal,
            scopes=None if scope is None else frozenset(scope.split()),
            session_id=session_id,
            token_id=claims.get("jti"),
            expires_at=claims["exp"],
            generation=generation,
        )


def digest(secret: str) -> str:
    """How refresh tokens and client secrets are stored: SHA-256 (they are 256 random bits,
    so a slow hash would add nothing but cost)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    """An opaque credential: a readable prefix (``rt_``, ``cs_``) and 256 random bits."""
    return prefix + secrets.token_urlsafe(32)
