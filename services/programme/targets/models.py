"""Policy targets as data: target sets (the policy they come from), their targets, and the
counties that adopted them. Presets from the seed documents are rows with ``preset`` set,
written by a migration and read-only through the API."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.programme.base import Base

CODE = String(12, collation="C")
# Preset rows are reference data: the tests' clean-up keeps the rows matching ``keep``.
_PRESET_SETS = "target_set_id IN (SELECT id FROM programme.target_set WHERE preset)"


class Comparator(StrEnum):
    GE = "ge"  # ≥ (达到, 以上, 不低于)
    GT = "gt"  # > (超过)
    LE = "le"  # ≤ (不超过)
    LT = "lt"  # <
    EQ = "eq"  # =


COMPARATOR_SIGN = {
    Comparator.GE: "≥",
    Comparator.GT: ">",
    Comparator.LE: "≤",
    Comparator.LT: "<",
    Comparator.EQ: "=",
}


class TargetPeriod(StrEnum):
    """How a flow indicator's target is counted: each calendar year (Lüliang 2016: 10,000
    people-times a year); without a period, from the programme's start to the deadline."""

    YEAR = "year"


class TargetSet(Base):
    """The targets of one policy document (or of an official's own plan)."""

    __tablename__ = "target_set"
    __table_args__ = ({"info": {"keep": "preset"}},)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64, collation="C"), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    issuer: Mapped[str] = mapped_column(Text, nullable=False)
    document_number: Mapped[str | None] = mapped_column(Text, comment="文号")
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    region_code: Mapped[str] = mapped_column(
        CODE, nullable=False, comment="the division the policy applies to (12 digits)"
    )
    region_prefix: Mapped[str] = mapped_column(
        String(12, collation="C"), nullable=False, comment="its significant digits"
    )
    preset: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class PolicyTarget(Base):
    """One target: an indicator of the shared vocabulary (``common.indicators``), a
    comparator, a value in the indicator's unit, and a deadline."""

    __tablename__ = "policy_target"
    __table_args__ = (
        UniqueConstraint("target_set_id", "position"),
        CheckConstraint("comparator IN ('ge','gt','le','lt','eq')", name="comparator"),
        {"info": {"keep": _PRESET_SETS}},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    target_set_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("target_set.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    indicator: Mapped[str] = mapped_column(String(48), nullable=False)
    comparator: Mapped[str] = mapped_column(String(2), nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    unit: Mapped[str] = mapped_column(String(24), nullable=False)
    deadline: Mapped[date | None] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(String(8))
    clause: Mapped[str | None] = mapped_column(Text, comment="the policy's own words")


class TargetAdoption(Base):
    """A county that adopted a target set: the dashboards measure it against these. A
    withdrawn adoption keeps its row (inactive) so its version keeps counting on the feed."""

    __tablename__ = "target_adoption"

    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    target_set_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("target_set.id"), primary_key=True
    )
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    changed_by: Mapped[str] = mapped_column(Text, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
