"""Accounts and who may manage them (delegated administration, ADR 0061).

- Admins manage every account; only admins create or change admins.
- An official manages officials scoped inside their own subtree (the same scope or a
  narrower one, never a wider one) and operators of stations inside it; the nation scope
  covers every division.
- An official's scope must be a current division, an operator's station must exist and not
  be closed: both asked of the stations service.
- Disabling an account, changing its scope or station, or setting its password ends its
  sessions: refresh tokens fail and access tokens are refused at once (ADR 0060).
"""

from collections.abc import Callable, Sequence

from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from common.auth import NATION, Principal, Role
from common.authz import require_role
from common.errors import Conflict, Forbidden, NotFound, Unprocessable
from common.etag import check_if_match
from common.pagination import PageParams, cursor_key
from gateway.identity import errors
from gateway.identity.audit.service import Origin, record
from gateway.identity.context import Identity
from gateway.identity.passwords import check_password_policy
from gateway.identity.phones import mask_phone
from gateway.identity.sessions import throttle
from gateway.identity.sessions.service import now_utc, user_division
from gateway.identity.stations import check_division, check_station
from gateway.identity.tokens import record_revocation
from gateway.identity.users import repository
from gateway.identity.users.models import User, UserRole, UserStatus
from gateway.identity.users.schemas import PasswordChange, UserCreate, UserOut, UserPatch

_MANAGERS = {Role.ADMIN, Role.OFFICIAL}


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        phone=user.phone_masked,
        display_name=user.display_name,
        role=UserRole(user.role),
        division=user.division,
        station=user.station,
        status=UserStatus(user.status),
        created_by=user.created_by,
        created_at=user.created_at,
        updated_at=user.updated_at,
        password_changed_at=user.password_changed_at,
        version=user.version,
    )


def own_user_id(principal: Principal) -> int | None:
    kind, _, number = principal.subject.partition(":")
    return int(number) if kind == "user" and number.isdigit() else None


def _outside(target: str, own: str) -> Forbidden:
    return Forbidden(
        f"{target} is outside your division {own}",
        detail_zh=f"{target} 不在您的管辖范围 {own} 内",
        code="outside_scope",
    )


def check_manages(
    principal: Principal, role: str, division: str | None, station: str | None
) -> None:
    """403 unless ``principal`` may manage an account of this role and scope."""
    require_role(principal, _MANAGERS, doing="manage accounts", doing_zh="管理账号")
    if principal.role is Role.ADMIN:
        return
    own = principal.division
    assert own is not None
    if role == UserRole.ADMIN:
        raise Forbidden(
            "only admins manage admin accounts",
            detail_zh="只有系统管理员可以管理管理员账号",
            code="admins_only",
        )
    if role == UserRole.OFFICIAL:
        assert division is not None
        if own == NATION:
            return
        if division == NATION or (own.startswith(division) and division != own):
            raise Forbidden(
                f"an official scoped {own} cannot give the wider scope {division}",
                detail_zh=f"管辖范围为 {own} 的官员不能授予更大的管辖范围 {division}",
                code="scope_wider_than_yours",
                field="division",
            )
        if not division.startswith(own):
            raise _outside(division, own)
        return
    assert station is not None
    if not principal.covers(station[:12]):
        raise _outside(station, own)


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The accounts ``principal`` may see: what it manages."""
    require_role(principal, _MANAGERS, doing="read accounts", doing_zh="查看账号")
    if principal.role is Role.ADMIN:
        return true()
    if principal.division == NATION:
        return User.role != UserRole.ADMIN
    assert principal.division is not None
    return repository.managed_within(principal.division)


def _role_fields(role: str, division: str | None, station: str | None) -> None:
    wanted = {UserRole.OFFICIAL: "division", UserRole.OPERATOR: "station"}.get(UserRole(role))
    for name, value in (("division", division), ("station", station)):
        if name == wanted and value is None:
            raise Unprocessable(
                f"a {role} account needs {name}",
                detail_zh=f"{role} 账号必须填写 {'管辖区划' if name == 'division' else '所属站点'}",
                code="missing_scope",
                field=name,
            )
        if name != wanted and value is not None:
            raise Unprocessable(
                f"a {role} account has no {name}",
                detail_zh=f"{role} 账号不应填写 {name}",
                code="foreign_scope",
                field=name,
            )


async def _check_exists(identity: Identity, division: str | None, station: str | None) -> None:
    if division is not None and division != NATION:
        await check_division(identity.stations, division)
    if station is not None:
        await check_station(identity.stations, station)


async def create_user(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    body: UserCreate,
    origin: Origin,
) -> User:
    _role_fields(body.role, body.division, body.station)
    check_manages(principal, body.role, body.division, body.station)
    check_password_policy(body.password, is_phone=lambda digits: digits == body.phone)
    phone_index = identity.phone_index(body.phone)
    if await repository.by_phone_index(session, phone_index) is not None:
        raise Conflict(
            "an account with this phone number exists already",
            detail_zh="该手机号已有账号",
            code="phone_taken",
            field="phone",
        )
    await _check_exists(identity, body.division, body.station)
    user = await repository.add(
        session,
        User(
            phone_index=phone_index,
            phone_masked=mask_phone(body.phone),
            display_name=body.display_name,
            role=body.role.value,
            division=body.division,
            station=body.station,
            password_hash=await identity.passwords.hash(body.password),
            created_by=principal.subject,
        ),
    )
    record(
        session,
        origin,
        "user_created",
        target=f"user:{user.id}",
        division=user_division(user),
        role=user.role,
    )
    return user


def _not_found(user_id: int) -> NotFound:
    return NotFound(f"no account {user_id}", detail_zh=f"没有账号 {user_id}", code="user_not_found")


async def read_user(
    session: AsyncSession, principal: Principal, user_id: int, *, for_update: bool = False
) -> User:
    """An account ``principal`` manages; 404 for one it does not (nobody learns it exists)."""
    require_role(principal, _MANAGERS, doing="read accounts", doing_zh="查看账号")
    user = await repository.by_id(session, user_id, for_update=for_update)
    if user is None:
        raise _not_found(user_id)
    try:
        check_manages(principal, user.role, user.division, user.station)
    except Forbidden as e:
        raise _not_found(user_id) from e
    return user


async def list_users(
    session: AsyncSession, principal: Principal, params: PageParams, filters: dict[str, object]
) -> Sequence[User]:
    return await repository.list_users(
        session,
        visible=visible_to(principal),
        filters=filters,
        after_id=cursor_key(params, int),
        limit=params.limit,
    )


async def end_all_sessions(
    session: AsyncSession, identity: Identity, user: User, reason: str
) -> None:
    """Every session of ``user`` ends; access tokens of the old generation are refused."""
    await repository.end_sessions(session, user.id, reason)
    await repository.touch(session, user, new_generation=True)
    await record_revocation(
        session,
        identity.revocations,
        f"user:{user.id}",
        user.generation,
        identity.settings.access_token_ttl_seconds,
    )


async def update_user(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    user_id: int,
    body: UserPatch,
    if_match: str | None,
    origin: Origin,
) -> User:
    user = await read_user(session, principal, user_id, for_update=True)
    check_if_match(if_match, user.version)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    division = changes.get("division", user.division)
    station = changes.get("station", user.station)
    ends = False
    if "division" in changes or "station" in changes:
        _role_fields(user.role, division, station)
        check_manages(principal, user.role, division, station)
        if (division, station) != (user.division, user.station):
            await _check_exists(
                identity,
                division if division != user.division else None,
                station if station != user.station else None,
            )
            ends = True
        user.division, user.station = division, station
    status = changes.get("status")
    if status is not None and status != user.status:
        if status == UserStatus.DISABLED:
            if own_user_id(principal) == user.id:
                raise Conflict(
                    "you cannot disable your own account",
                    detail_zh="不能停用自己的账号",
                    code="cannot_disable_yourself",
                    field="status",
                )
            ends = True
        user.status = status.value
    if "display_name" in changes:
        user.display_name = changes["display_name"]
    if ends:
        reason = "user_disabled" if status == UserStatus.DISABLED else "scope_changed"
        await end_all_sessions(session, identity, user, reason)
    else:
        await repository.touch(session, user)
    record(
        session,
        origin,
        "user_updated",
        target=f"user:{user.id}",
        division=user_division(user),
        changed=sorted(changes),
        **({"status": user.status} if status is not None else {}),
        sessions_ended=ends,
    )
    return user


def _is_phone_of(identity: Identity, user: User) -> Callable[[str], bool]:
    """Whether 11 digits are this account's phone: only its keyed index is stored."""
    return lambda digits: identity.phone_index(digits) == user.phone_index


async def _set_password(identity: Identity, user: User, password: str) -> None:
    user.password_hash = await identity.passwords.hash(password)
    user.password_changed_at = now_utc()


async def reset_password(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    user_id: int,
    password: str,
    origin: Origin,
) -> None:
    """A manager sets a new password (the operator forgot theirs)."""
    user = await read_user(session, principal, user_id, for_update=True)
    check_password_policy(password, is_phone=_is_phone_of(identity, user))
    await _set_password(identity, user, password)
    await end_all_sessions(session, identity, user, "password_reset")
    record(
        session, origin, "password_reset", target=f"user:{user.id}", division=user_division(user)
    )


async def me(session: AsyncSession, principal: Principal) -> User | None:
    user_id = own_user_id(principal)
    return None if user_id is None else await repository.by_id(session, user_id)


async def change_own_password(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    body: PasswordChange,
    origin: Origin,
) -> None:
    user_id = own_user_id(principal)
    user = None if user_id is None else await repository.by_id(session, user_id, for_update=True)
    if user is None:
        raise Forbidden(
            "only a person's account has a password",
            detail_zh="只有个人账号才有密码",
            code="not_a_user",
        )
    key = throttle.phone_key(user.phone_index)
    now = now_utc()
    locked = await throttle.locked_until(session, [key], now)
    if locked is not None:
        raise errors.account_locked(locked, now)
    ok, _ = await identity.passwords.verify(body.current_password, user.password_hash)
    if not ok:
        async with identity.apart() as apart, apart.begin():
            await throttle.count_failure(apart, key, throttle.PHONE, now)
            record(
                apart,
                origin,
                "password_change_failed",
                target=f"user:{user.id}",
                division=user_division(user),
            )
        raise Forbidden(
            "the current password is wrong",
            detail_zh="当前密码不正确",
            code="current_password_wrong",
            field="current_password",
        )
    check_password_policy(
        body.new_password, is_phone=_is_phone_of(identity, user), field="new_password"
    )
    if body.new_password == body.current_password:
        raise Unprocessable(
            "the new password is the old one",
            detail_zh="新密码不能与原密码相同",
            code="password_unchanged",
            field="new_password",
        )
    await _set_password(identity, user, body.new_password)
    await end_all_sessions(session, identity, user, "password_changed")
    record(
        session, origin, "password_changed", target=f"user:{user.id}", division=user_division(user)
    )
