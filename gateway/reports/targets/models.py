"""Delivery targets: MOFCOM's information system, a provincial platform (their signing
secrets are ``deliveries.models.SigningSecret``)."""

from datetime import datetime, time

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class DeliveryTarget(Base):
    """Where report documents go: an endpoint, the divisions and documents it takes, when."""

    __tablename__ = "delivery_target"
    __table_args__ = (
        CheckConstraint("kind IN ('mofcom','province')", name="kind"),
        CheckConstraint("status IN ('active','disabled')", name="status"),
        CheckConstraint("schedule_day BETWEEN 1 AND 28", name="schedule_day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    endpoint_url: Mapped[str] = mapped_column(String(2000))
    # ``nation`` or the significant digits of a division (``common.auth.normalize_scope``).
    division: Mapped[str] = mapped_column(String(12))
    document_types: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    # month, quarter, year: the periods whose documents it takes.
    periods: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    # "On the <day> at <time> (<timezone>) after a period ends": the 5th at 02:00 China time.
    schedule_day: Mapped[int] = mapped_column(SmallInteger)
    schedule_time: Mapped[time] = mapped_column(Time)
    schedule_timezone: Mapped[str] = mapped_column(String(60))
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    # Why it was disabled (``gone``: the endpoint answered 410; ``admin``), and the last
    # problem an admin must look at (a 4xx, retries exhausted) until they clear it.
    disabled_reason: Mapped[str | None] = mapped_column(String(40))
    alert: Mapped[str | None] = mapped_column(Text)
    alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
