"""Monthly operating reports (月度运营报表): one per station and month, revisable with history."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.stations.base import Base

FIGURES = (
    "upward_amount",
    "upward_orders",
    "downward_amount",
    "downward_orders",
    "parcels_in",
    "parcels_out",
    "households_served",
    "poor_households_served",
)


class _Figures:
    """The figures a station reports each month; all non-negative."""

    upward_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)  # 农产品上行 ¥
    upward_orders: Mapped[int] = mapped_column(Integer, nullable=False)
    downward_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)  # 工业品下行 ¥
    downward_orders: Mapped[int] = mapped_column(Integer, nullable=False)
    parcels_in: Mapped[int] = mapped_column(Integer, nullable=False)
    parcels_out: Mapped[int] = mapped_column(Integer, nullable=False)
    households_served: Mapped[int] = mapped_column(Integer, nullable=False)
    poor_households_served: Mapped[int] = mapped_column(Integer, nullable=False)


def _checks() -> tuple[CheckConstraint, ...]:
    return (
        *(CheckConstraint(f"{f} >= 0", name=f"{f}_non_negative") for f in FIGURES),
        CheckConstraint("extract(day from month) = 1", name="month_first_day"),
    )


class MonthlyReport(_Figures, Base):
    """The current figures of one station for one month."""

    __tablename__ = "monthly_report"
    __table_args__ = (
        UniqueConstraint("station_id", "month"),
        # Rates and overdue lists count a month's reports per station from this index alone.
        Index("ix_monthly_report_month_station_id", "month", "station_id"),
        *_checks(),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    station_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("station.id"), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False, comment="first day of the month")
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    submitted_by: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class MonthlyReportRevision(_Figures, Base):
    """Every revision ever submitted, the current one included."""

    __tablename__ = "monthly_report_revision"
    __table_args__ = (
        UniqueConstraint("report_id", "revision"),
        *_checks(),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("monthly_report.id"), nullable=False
    )
    station_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("station.id"), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    submitted_by: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
