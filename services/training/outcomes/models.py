"""Post-training follow-ups (培训后服务): what became of the people trained."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.training.base import Base


class OutcomeKind(StrEnum):
    ONLINE_SHOP = "online_shop"  # 开设网店
    STATION_OPERATOR = "station_operator"  # 成为服务站点站长
    EMPLOYED = "employed"  # 就业
    BUSINESS_STARTED = "business_started"  # 创业
    ONLINE_SALES = "online_sales"  # 培训后网络销售额


class OutcomeSource(StrEnum):
    SELF_REPORT = "self_report"
    ORGANISER_VISIT = "organiser_visit"  # 承办企业回访
    OFFICIAL = "official"


class Outcome(Base):
    __tablename__ = "outcome"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('online_shop','station_operator','employed','business_started',"
            "'online_sales')",
            name="kind",
        ),
        CheckConstraint("source IN ('self_report','organiser_visit','official')", name="source"),
        CheckConstraint("sales_amount IS NULL OR sales_amount >= 0", name="sales_non_negative"),
        Index("ix_outcome_trainee_id", "trainee_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trainee_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("trainee.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    platform: Mapped[str | None] = mapped_column(Text)
    shop_name: Mapped[str | None] = mapped_column(Text)
    shop_url: Mapped[str | None] = mapped_column(Text)
    station_code: Mapped[str | None] = mapped_column(String(15))
    employer: Mapped[str | None] = mapped_column(Text)
    sales_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
