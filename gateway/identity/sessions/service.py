"""Signing in and staying signed in (ADR 0060).

- Password grant: the phone is normalised and looked up by its keyed index; an unknown
  phone is verified against a dummy hash, so it costs what a wrong password does and gets
  the same answer. Failures count per phone and per address; a lock is a 429 with when it
  ends. A correct password on a disabled account is 403.
- Refresh grant: each refresh token is good once; using it returns a new one in the same
  session. A used one presented again means it was copied: the whole session ends.
- Logout ends the session; its access tokens are refused from then on.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from gateway.identity import errors
from gateway.identity.audit.service import Origin, record, record_apart
from gateway.identity.context import Identity
from gateway.identity.phones import mask_phone, normalize_mobile
from gateway.identity.sessions import repository, throttle
from gateway.identity.sessions.schemas import TokenResponse
from gateway.identity.tokens import digest, mint_access_token, new_secret, record_revocation
from gateway.identity.users import repository as users
from gateway.identity.users.models import User, UserStatus


def now_utc() -> datetime:
    return datetime.now(UTC)


def user_principal(user: User) -> Principal:
    return Principal(
        subject=f"user:{user.id}",
        role=Role(user.role),
        division=user.division,
        station=user.station,
    )


def user_division(user: User) -> str | None:
    """Where an account belongs, for officials reading the audit log of their subtree."""
    return user.division or (user.station[:12] if user.station else None)


@dataclass(frozen=True)
class Attempt:
    phone: str
    phone_key: str
    keys: list[str]


def _attempt(identity: Identity, raw_phone: str, origin: Origin) -> Attempt:
    try:
        phone = normalize_mobile(raw_phone)
    except ValueError as e:
        raise errors.invalid_request(
            "username must be a mainland mobile number", "用户名应为手机号码", field="username"
        ) from e
    key = throttle.phone_key(identity.phone_index(phone))
    address = throttle.address_key(origin.address)
    return Attempt(phone=phone, phone_key=key, keys=[key] if address is None else [key, address])


async def _count_failure(identity: Identity, attempt: Attempt, origin: Origin, user: User | None):
    """Count a failed sign-in and log it, in a transaction of its own (the request fails);
    the end of the lock when this failure set one."""
    now = now_utc()
    target = None if user is None else f"user:{user.id}"
    division = None if user is None else user_division(user)
    async with identity.apart() as session, session.begin():
        until = await throttle.count_failure(session, attempt.phone_key, throttle.PHONE, now)
        address = attempt.keys[1] if len(attempt.keys) > 1 else None
        if address is not None:
            until_address = await throttle.count_failure(session, address, throttle.ADDRESS, now)
            until = max(filter(None, (until, until_address)), default=None)
        record(
            session,
            origin,
            "login_failed",
            target=target,
            division=division,
            phone=mask_phone(attempt.phone),
        )
        if until is not None:
            record(
                session,
                origin,
                "account_locked",
                target=target,
                division=division,
                phone=mask_phone(attempt.phone),
                until=until.isoformat(),
            )
    return until


async def password_grant(
    session: AsyncSession, identity: Identity, username: str, password: str, origin: Origin
) -> TokenResponse:
    attempt = _attempt(identity, username, origin)
    now = now_utc()
    locked = await throttle.locked_until(session, attempt.keys, now)
    if locked is not None:
        await record_apart(
            identity.apart,
            origin,
            "login_refused",
            reason="locked",
            phone=mask_phone(attempt.phone),
        )
        raise errors.account_locked(locked, now)
    user = await users.by_phone_index(session, attempt.phone_key.removeprefix("phone:"))
    ok, rehashed = await identity.passwords.verify(
        password, None if user is None else user.password_hash
    )
    if not ok:
        until = await _count_failure(identity, attempt, origin, user)
        if until is not None:
            raise errors.account_locked(until, now_utc())
        raise errors.invalid_credentials()
    assert user is not None
    if user.status != UserStatus.ACTIVE:
        await record_apart(
            identity.apart,
            origin,
            "login_refused",
            target=f"user:{user.id}",
            division=user_division(user),
            reason="user_disabled",
        )
        raise errors.user_disabled()
    if rehashed is not None:
        # The Argon2 parameters changed since this hash was made: it is upgraded now.
        user.password_hash = rehashed
    await throttle.forget(session, attempt.phone_key)
    opened = await repository.open_session(session, user.id, origin.address, now)
    origin_as_user = Origin(f"user:{user.id}", origin.address, origin.request_id)
    record(
        session,
        origin_as_user,
        "login_succeeded",
        target=f"user:{user.id}",
        division=user_division(user),
        session_id=str(opened.id),
        **({"rehashed": True} if rehashed else {}),
    )
    return await _issue(session, identity, user, opened.id, now)


async def _issue(
    session: AsyncSession, identity: Identity, user: User, session_id: uuid.UUID, now: datetime
) -> TokenResponse:
    settings = identity.settings
    refresh = new_secret("rt_")
    await repository.add_refresh_token(
        session,
        session_id,
        digest(refresh),
        now,
        now + timedelta(days=settings.refresh_token_ttl_days),
    )
    access = mint_access_token(
        user_principal(user),
        secret=identity.jwt_secret,
        ttl_seconds=settings.access_token_ttl_seconds,
        generation=user.generation,
        session_id=session_id,
        now=now.timestamp(),
    )
    return TokenResponse(
        access_token=access, expires_in=settings.access_token_ttl_seconds, refresh_token=refresh
    )


async def refresh_grant(
    session: AsyncSession, identity: Identity, refresh_token: str, origin: Origin
) -> TokenResponse:
    found = await repository.refresh_token_for_update(session, digest(refresh_token))
    if found is None:
        raise errors.invalid_refresh(
            "refresh_token_invalid", "The refresh token is not valid", "刷新令牌无效"
        )
    token, user_session, user = found
    now = now_utc()
    if token.used_at is not None:
        await _end_copied_session(identity, user_session.id, user, origin)
        raise errors.invalid_refresh(
            "refresh_token_reused",
            "This refresh token was already used; the session is ended, sign in again",
            "该刷新令牌已被使用过,为安全起见本次登录会话已全部失效,请重新登录",
        )
    if user_session.revoked_at is not None:
        raise errors.invalid_refresh(
            "session_ended",
            "This session has ended (signed out, password changed or account disabled); "
            "sign in again",
            "登录会话已结束(已退出、密码已修改或账号已停用),请重新登录",
        )
    if token.expires_at <= now:
        raise errors.invalid_refresh(
            "refresh_token_expired",
            "The refresh token has expired; sign in again",
            "刷新令牌已过期,请重新登录",
        )
    if user.status != UserStatus.ACTIVE:
        raise errors.user_disabled()
    token.used_at = now
    user_session.last_used_at = now
    return await _issue(session, identity, user, user_session.id, now)


async def _end_copied_session(
    identity: Identity, session_id: uuid.UUID, user: User, origin: Origin
) -> None:
    async with identity.apart() as session, session.begin():
        await end_session(session, identity, session_id, "refresh_token_reused")
        record(
            session,
            origin,
            "refresh_token_reused",
            target=f"user:{user.id}",
            division=user_division(user),
            session_id=str(session_id),
        )


async def end_session(
    session: AsyncSession, identity: Identity, session_id: uuid.UUID, reason: str
) -> bool:
    """End one session: its refresh tokens fail, its access tokens are refused."""
    ended = await repository.revoke_session(session, session_id, reason)
    await record_revocation(
        session,
        identity.revocations,
        f"session:{session_id}",
        None,
        identity.settings.access_token_ttl_seconds,
    )
    return ended


async def logout(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    session_id: str | None,
    origin: Origin,
) -> None:
    if session_id is None:
        return  # a machine's or a development token: nothing to end
    await end_session(session, identity, uuid.UUID(session_id), "logout")
    record(session, origin, "logout", target=principal.subject, session_id=session_id)
