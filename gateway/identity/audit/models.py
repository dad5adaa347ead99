"""The audit log: sign-ins, failures, lockouts, revocations, user and client changes."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class AuditEvent(Base):
    """One event. Never a password, secret, token or phone number: subjects are ids
    (``user:42``), phones appear masked, and ``detail`` holds codes and changed field names."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_division_id", "division", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    event: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    target: Mapped[str | None] = mapped_column(String(200), index=True)
    # Where the target belongs (an official's scope, an operator's station division): what
    # lets an official read the events of their subtree. None: admins only.
    division: Mapped[str | None] = mapped_column(String(12))
    address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
