"""Fund rules as data: rule sets per programme year and region (presets from the seed
documents), their rules, and the breaches found in each county's plan and payments.

Every rule is about central funds (中央财政资金), as the documents' rules are."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.programme.base import Base

CODE = String(12, collation="C")
MONEY = Numeric(14, 2)
_PRESET_SETS = "rule_set_id IN (SELECT id FROM programme.fund_rule_set WHERE preset)"


class RuleKind(StrEnum):
    SHARE_MIN = (
        "share_min"  # the categories' central budget ≥ percent of the county's central funds
    )
    SHARE_MAX = "share_max"  # … ≤ percent
    CATEGORY_CAP = "category_cap"  # the categories' central budget together ≤ amount
    PROJECT_CAP = "project_cap"  # each project of the categories ≤ amount of central funds
    INVESTMENT_SHARE_CAP = (
        "investment_share_cap"  # each project's central ≤ percent of its investment
    )
    STATION_CAP = "station_cap"  # each station of a tier ≤ amount (allocated, and paid)
    FORBIDDEN_USE = "forbidden_use"  # no central funds for these uses (in the categories)


class FundRuleSet(Base):
    """The fund rules of one policy document (or an official's own), for a programme year
    and region."""

    __tablename__ = "fund_rule_set"
    __table_args__ = ({"info": {"keep": "preset"}},)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64, collation="C"), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    issuer: Mapped[str] = mapped_column(Text, nullable=False)
    document_number: Mapped[str | None] = mapped_column(Text, comment="文号")
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False, comment="programme year")
    region_code: Mapped[str] = mapped_column(CODE, nullable=False)
    region_prefix: Mapped[str] = mapped_column(String(12, collation="C"), nullable=False)
    preset: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class FundRule(Base):
    __tablename__ = "fund_rule"
    __table_args__ = (
        UniqueConstraint("rule_set_id", "position"),
        CheckConstraint(
            "kind IN ('share_min','share_max','category_cap','project_cap',"
            "'investment_share_cap','station_cap','forbidden_use')",
            name="kind",
        ),
        CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        {"info": {"keep": _PRESET_SETS}},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    rule_set_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("fund_rule_set.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    categories: Mapped[list[str]] = mapped_column(
        ARRAY(String(24)), nullable=False, server_default="{}", comment="empty: every category"
    )
    station_tier: Mapped[str | None] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    uses: Mapped[list[str]] = mapped_column(ARRAY(String(24)), nullable=False, server_default="{}")
    clause: Mapped[str | None] = mapped_column(Text, comment="the policy's own words")


class FundBreach(Base):
    """A breach found by the last check of a county (run on every change): the rule, what
    breaks it (``subject``), the figure and the limit. ``detected_at`` is when it first
    appeared; a breach that is mended disappears."""

    __tablename__ = "fund_breach"
    __table_args__ = (UniqueConstraint("county_code", "rule_id", "basis", "subject"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(CODE, nullable=False)
    rule_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("fund_rule.id", ondelete="CASCADE"), nullable=False
    )
    basis: Mapped[str] = mapped_column(String(8), nullable=False, comment="plan or paid")
    subject_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    project_code: Mapped[str | None] = mapped_column(String(16, collation="C"))
    figure: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    limit: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    detected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
