"""Signed-in sessions, their refresh tokens, failed-login counters and revocations."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class UserSession(Base):
    """One sign-in on one device: the family of refresh tokens rotated from its login."""

    __tablename__ = "user_session"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # logout, refresh_token_reused, password_changed, user_disabled …
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class RefreshToken(Base):
    """An opaque refresh token, stored as its SHA-256: each is good for one use."""

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_session.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed sign-ins per phone (keyed, known or not) and per client address, in the
    database so that every gateway process and a restart see the same count."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Lockouts in a row: each one lasts longer (reset by a successful sign-in).
    lockouts: Mapped[int] = mapped_column(Integer, server_default="0")


class Revocation(Base):
    """Rights that ended before their tokens expire: every gateway process keeps this small
    table in memory (ADR 0060). ``user:42`` / ``client:…`` refuse tokens of an older
    generation; ``session:<uuid>`` refuses every token of that session."""

    __tablename__ = "revocation"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    generation: Mapped[int | None] = mapped_column(Integer)
    # When the last token it can refuse has expired anyway; purged after that.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
