"""Subsidy policies (培训补助标准) as data: versions never change once written (ADR 0032)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.training.base import Base


class SubsidyPolicy(Base):
    """One version of a policy: ``key`` names the policy, ``version`` counts its edits."""

    __tablename__ = "subsidy_policy"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
        CheckConstraint("region ~ '^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3})?)?)?$'", name="region"),
        Index("ix_subsidy_policy_region", "region"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    current: Mapped[bool] = mapped_column(nullable=False, default=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str | None] = mapped_column(Text, comment="the document it comes from")
    region: Mapped[str] = mapped_column(
        String(9, collation="C"), nullable=False, comment="division prefix: 2, 4, 6 or 9 digits"
    )
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date)
    min_age: Mapped[int | None] = mapped_column(SmallInteger)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
