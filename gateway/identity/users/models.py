"""People who sign in: officials, station operators and admins."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class UserRole(StrEnum):
    ADMIN = "admin"
    OFFICIAL = "official"  # commerce-bureau official, a division subtree or the nation
    OPERATOR = "operator"  # operator of one station (several per station may exist)


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('admin','official','operator')", name="role"),
        CheckConstraint("status IN ('active','disabled')", name="status"),
        # Each role carries exactly what common.auth's principal of that role carries.
        CheckConstraint(
            "(role = 'admin' AND division IS NULL AND station IS NULL)"
            " OR (role = 'official' AND division IS NOT NULL AND station IS NULL)"
            " OR (role = 'operator' AND station IS NOT NULL AND division IS NULL)",
            name="role_fields",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # HMAC of the normalised phone (gateway.identity.phones): one account per phone.
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    phone_masked: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    # Officials: the scope as common.auth normalises it ("141124", "14", "nation").
    division: Mapped[str | None] = mapped_column(String(12))
    station: Mapped[str | None] = mapped_column(String(15), index=True)
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Rises whenever this person's sessions must end (disabled, password changed, scope
    # changed): tokens carry the generation they were issued under (ADR 0060).
    generation: Mapped[int] = mapped_column(Integer, server_default="1")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
