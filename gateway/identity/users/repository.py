from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from gateway.identity.sessions.models import UserSession
from gateway.identity.users.models import User, UserRole


async def by_phone_index(session: AsyncSession, phone_index: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.phone_index == phone_index))
    return user


async def by_id(session: AsyncSession, user_id: int, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    user: User | None = await session.scalar(stmt)
    return user


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return user


async def any_admin(session: AsyncSession) -> bool:
    found = await session.scalar(select(User.id).where(User.role == UserRole.ADMIN).limit(1))
    return found is not None


def managed_within(within: str) -> ColumnElement[bool]:
    """Officials scoped inside ``within`` and operators of stations inside it."""
    return or_(
        and_(User.role == UserRole.OFFICIAL, User.division.startswith(within, autoescape=True)),
        and_(User.role == UserRole.OPERATOR, User.station.startswith(within, autoescape=True)),
    )


async def list_users(
    session: AsyncSession,
    *,
    visible: ColumnElement[bool] | None,
    filters: dict[str, Any],
    after_id: int | None,
    limit: int,
) -> Sequence[User]:
    stmt = select(User)
    if visible is not None:
        stmt = stmt.where(visible)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(User, column) == value)
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    rows = await session.scalars(stmt.order_by(User.id).limit(limit + 1))
    return rows.all()


async def touch(session: AsyncSession, user: User, *, new_generation: bool = False) -> None:
    user.version += 1
    user.updated_at = func.now()  # type: ignore[assignment]
    if new_generation:
        user.generation += 1
    await session.flush()
    await session.refresh(user)


async def end_sessions(session: AsyncSession, user_id: int, reason: str) -> list[str]:
    """Revoke every open session of a user; the ids of those revoked."""
    rows = await session.scalars(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(UserSession.id)
    )
    return [str(i) for i in rows]
