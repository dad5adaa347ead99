"""The three-tier station registry: county centres, township stations, village points."""

from datetime import date, datetime
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.stations.base import Base
from services.stations.divisions.models import CODE


class StationTier(StrEnum):
    COUNTY = "county"  # 县级电子商务公共服务中心 / 运营中心, on a county-level division
    TOWNSHIP = "township"  # 乡镇服务站, on a township-level division
    VILLAGE = "village"  # 村级服务点, on a village-level division


class StationStatus(StrEnum):
    PLANNED = "planned"
    BUILDING = "building"
    OPERATING = "operating"
    ACCEPTED = "accepted"  # 验收: passed acceptance
    SUSPENDED = "suspended"
    CLOSED = "closed"


# Statuses in which a station serves people: what coverage counts.
ACTIVE_STATUSES = (StationStatus.OPERATING, StationStatus.ACCEPTED)


class StationService(StrEnum):
    """Services a station offers, from the policy documents."""

    ONLINE_PURCHASE = "online_purchase"  # 代买/网购代购
    PRODUCE_SALES = "produce_sales"  # 代卖/农产品上行
    PARCELS = "parcels"  # 代收代发快递
    BILL_PAYMENT = "bill_payment"  # 缴费充值
    TICKETING = "ticketing"  # 代订票务
    FINANCE = "finance"  # 小额信贷/金融
    TRAINING = "training"  # 电商培训
    INCUBATION = "incubation"  # 创业孵化
    VILLAGE_MARKET = "village_market"  # 赶集
    GOVERNMENT = "government"  # 政务


class Station(Base):
    __tablename__ = "station"
    __table_args__ = (
        CheckConstraint("tier IN ('county','township','village')", name="tier"),
        CheckConstraint(
            "status IN ('planned','building','operating','accepted','suspended','closed')",
            name="status",
        ),
        Index("ix_station_division_code", "division_code"),
        Index("ix_station_parent_id", "parent_id"),
        Index("ix_station_status_tier", "status", "tier"),
        # One village point per village committee until it is closed (a closed one may be replaced).
        Index(
            "uq_station_active_village",
            "division_code",
            unique=True,
            postgresql_where=text("tier = 'village' AND status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(
        String(15, collation="C"),
        nullable=False,
        unique=True,
        comment="<12-digit division code>-<2-digit sequence>; never reused",
    )
    tier: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    division_code: Mapped[str] = mapped_column(CODE, ForeignKey("division.code"), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("station.id"))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=StationStatus.PLANNED)
    location: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True)
    )
    address: Mapped[str | None] = mapped_column(Text)
    operator_name: Mapped[str | None] = mapped_column(Text)
    operator_phone: Mapped[str | None] = mapped_column(String(11))
    company_name: Mapped[str | None] = mapped_column(Text)
    company_credit_code: Mapped[str | None] = mapped_column(String(18))
    services: Mapped[list[str]] = mapped_column(
        ARRAY(String(24)), nullable=False, server_default="{}"
    )
    operating_since: Mapped[date | None] = mapped_column(
        Date, comment="first day of the month it first began operating"
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class StationTransition(Base):
    """Every lifecycle transition: who, when, from, to, why."""

    __tablename__ = "station_transition"
    __table_args__ = (Index("ix_station_transition_station_id", "station_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    station_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("station.id"), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
