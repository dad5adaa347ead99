import uuid
from datetime import datetime

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.sessions.models import RefreshToken, UserSession
from gateway.identity.users.models import User


async def open_session(
    session: AsyncSession, user_id: int, address: str | None, now: datetime
) -> UserSession:
    opened = UserSession(
        id=uuid.uuid4(), user_id=user_id, address=address, created_at=now, last_used_at=now
    )
    session.add(opened)
    await session.flush()
    return opened


async def add_refresh_token(
    session: AsyncSession, session_id: uuid.UUID, token_hash: str, now: datetime, expires: datetime
) -> None:
    session.add(
        RefreshToken(
            session_id=session_id, token_hash=token_hash, issued_at=now, expires_at=expires
        )
    )
    await session.flush()


async def refresh_token_for_update(
    session: AsyncSession, token_hash: str
) -> Row[tuple[RefreshToken, UserSession, User]] | None:
    """The token, its session and its user, the token row locked: two uses of one token
    are serialised, and the second sees that the first used it."""
    result = await session.execute(
        select(RefreshToken, UserSession, User)
        .join(UserSession, UserSession.id == RefreshToken.session_id)
        .join(User, User.id == UserSession.user_id)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update(of=RefreshToken)
    )
    return result.first()


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, reason: str) -> bool:
    """Whether it was open until now."""
    revoked = await session.scalar(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(UserSession.id)
    )
    return revoked is not None
