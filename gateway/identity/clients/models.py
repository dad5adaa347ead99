"""Machine clients (OAuth2 client credentials) and their secrets."""

from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class Client(Base):
    """A logistics company, a provincial platform or MOFCOM's receiver, or a training
    organiser, calling the API as itself."""

    __tablename__ = "machine_client"
    __table_args__ = (
        CheckConstraint("role IN ('carrier','platform','organiser')", name="role"),
        CheckConstraint("status IN ('active','disabled')", name="status"),
        CheckConstraint(
            "(role = 'carrier' AND carrier IS NOT NULL AND division IS NULL AND organiser IS NULL)"
            " OR (role = 'platform' AND division IS NOT NULL AND carrier IS NULL"
            " AND organiser IS NULL)"
            " OR (role = 'organiser' AND organiser IS NOT NULL AND carrier IS NULL"
            " AND division IS NULL)",
            name="role_fields",
        ),
    )

    client_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(40))
    division: Mapped[str | None] = mapped_column(String(12))
    organiser: Mapped[str | None] = mapped_column(String(18))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    generation: Mapped[int] = mapped_column(Integer, server_default="1")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ClientSecret(Base):
    """A client secret, stored as its SHA-256 (256 random bits need no slow hash). Two may
    be valid at once while a client rotates: the old one until ``expires_at``."""

    __tablename__ = "client_secret"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("machine_client.client_id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a person can tell which secret a system holds.
    hint: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
