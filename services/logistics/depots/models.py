"""Depots (物流配送中心 / 网点): county distribution centres, township hubs, village pickup
points; several carriers in one depot is shared delivery (共同配送)."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from common.reference import CODE
from services.logistics.base import Base
from services.logistics.points.models import STATION_CODE


class DepotKind(StrEnum):
    COUNTY_CENTRE = "county_centre"  # 县级物流配送中心 / 仓储中心, on a county-level division
    TOWNSHIP_HUB = "township_hub"  # 乡镇快递网点 / 中转站, on a township
    VILLAGE_PICKUP = "village_pickup"  # 村级取件点, on a village, often inside the village point


class DepotStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Depot(Base):
    """A depot with its place, capacity and who operates it: a carrier (``operator_carrier_id``)
    or a company (a county logistics company, a supply-and-marketing co-operative)."""

    __tablename__ = "depot"
    __table_args__ = (
        CheckConstraint("code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'", name="code_shape"),
        CheckConstraint("kind IN ('county_centre','township_hub','village_pickup')", name="kind"),
        CheckConstraint("status IN ('active','closed')", name="status"),
        CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area"),
        CheckConstraint("parcels_per_day IS NULL OR parcels_per_day >= 0", name="capacity"),
        CheckConstraint(
            "operator_carrier_id IS NOT NULL OR operator_name IS NOT NULL", name="operator"
        ),
        Index("ix_depot_division_code", "division_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    division_code: Mapped[str] = mapped_column(CODE, nullable=False)
    station_code: Mapped[str | None] = mapped_column(
        STATION_CODE, comment="the village service point the depot is inside, if any"
    )
    location: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326))
    address: Mapped[str | None] = mapped_column(Text)
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    parcels_per_day: Mapped[int | None] = mapped_column(Integer)
    operator_carrier_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("carrier.id"))
    operator_name: Mapped[str | None] = mapped_column(Text)
    operator_credit_code: Mapped[str | None] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class DepotCarrier(Base):
    """A carrier working out of a depot."""

    __tablename__ = "depot_carrier"

    depot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("depot.id", ondelete="CASCADE"), primary_key=True
    )
    carrier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("carrier.id"), primary_key=True, index=True
    )
