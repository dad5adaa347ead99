"""Training sessions (培训班): what was taught, by whom, where and when, and what it earns."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.training.base import CODE, Base


class SessionLevel(StrEnum):
    BASIC = "basic"  # 普及培训
    ADVANCED = "advanced"  # 提升培训
    SENIOR = "senior"  # 高级研修
    INCUBATION = "incubation"  # 创业孵化


class DurationKind(StrEnum):
    HALF_DAY = "half_day"
    ONE_DAY = "one_day"
    SEVERAL_DAYS = "several_days"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class FundingSource(StrEnum):
    CENTRAL = "central"  # 中央财政 (综合示范资金)
    PROVINCIAL = "provincial"  # 省级财政
    LOCAL = "local"  # 市县财政
    ORGANISER = "organiser"  # 承办企业自筹
    OTHER = "other"


def _enum_check(column: str, values: type[StrEnum]) -> CheckConstraint:
    listed = ",".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class TrainingSession(Base):
    __tablename__ = "training_session"
    __table_args__ = (
        _enum_check("level", SessionLevel),
        _enum_check("duration_kind", DurationKind),
        _enum_check("status", SessionStatus),
        _enum_check("funding_source", FundingSource),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint(
            "(duration_kind = 'several_days') = (ends_on > starts_on)", name="duration_matches"
        ),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_training_session_division_code_starts_on", "division_code", "starts_on"),
        Index("ix_training_session_organiser_code", "organiser_code"),
        # The sessions running on a day (the indicators' ``straddling``, ADR 0033).
        Index(
            "ix_training_session_dates",
            text("daterange(starts_on, ends_on, '[]')"),
            postgresql_using="gist",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(String(12), nullable=False)
    topic: Mapped[str] = mapped_column(Text, nullable=False)
    organiser_name: Mapped[str] = mapped_column(Text, nullable=False)
    organiser_code: Mapped[str] = mapped_column(String(18, collation="C"), nullable=False)
    division_code: Mapped[str] = mapped_column(CODE, nullable=False)
    address: Mapped[str] = mapped_column(Text, nullable=False)
    location: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False)
    )
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    duration_kind: Mapped[str] = mapped_column(String(12), nullable=False)
    meals: Mapped[bool] = mapped_column(Boolean, nullable=False)
    computer_practice: Mapped[bool] = mapped_column(Boolean, nullable=False)
    lodging: Mapped[bool] = mapped_column(Boolean, nullable=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    funding_source: Mapped[str] = mapped_column(String(12), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="planned")
    status_changed_by: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class SessionSubsidy(Base):
    """The subsidy rate a held session earns, fixed when it was held under the policy
    version valid on its date: a later policy change never changes it (ADR 0032)."""

    __tablename__ = "session_subsidy"
    __table_args__ = (
        CheckConstraint("unit IN ('person','person_day')", name="unit"),
        CheckConstraint("unit_amount >= 0", name="unit_amount_non_negative"),
    )

    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("training_session.id"), primary_key=True
    )
    policy_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("subsidy_policy.id"), nullable=False
    )
    rule: Mapped[str | None] = mapped_column(Text, comment="NULL: no rule of the policy fits")
    unit: Mapped[str] = mapped_column(String(10), nullable=False)
    unit_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    min_age: Mapped[int | None] = mapped_column(SmallInteger)
    # Trainees under the policy's minimum age when the rate was fixed: they earn nothing.
    # Kept here so that erasing a trainee's birth date later changes no amount.
    ineligible_trainees: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), nullable=False, server_default="{}"
    )
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
