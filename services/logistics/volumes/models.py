"""Daily parcel volumes (快递业务量) per carrier and place: upward (农产品上行, sent from the
village) and downward (工业品下行, delivered to it); revisable, every revision kept."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from common.reference import CODE
from services.logistics.base import Base
from services.logistics.points.models import STATION_CODE

FIGURES = ("outbound_parcels", "outbound_weight_kg", "inbound_parcels", "inbound_weight_kg")


class _Figures:
    outbound_parcels: Mapped[int] = mapped_column(Integer, nullable=False)
    outbound_weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 1), nullable=False)
    inbound_parcels: Mapped[int] = mapped_column(Integer, nullable=False)
    inbound_weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 1), nullable=False)


def _checks() -> tuple[CheckConstraint, ...]:
    return tuple(CheckConstraint(f"{f} >= 0", name=f"{f}_non_negative") for f in FIGURES)


class ParcelVolume(_Figures, Base):
    """One carrier's parcels at one place on one day (China time). The place is a station
    point, or a township where no point reports."""

    __tablename__ = "parcel_volume"
    __table_args__ = (
        UniqueConstraint("carrier_id", "place_code", "day"),
        CheckConstraint("(station_code IS NULL) <> (township_code IS NULL)", name="one_place"),
        # Monthly sums per division prefix, from the index alone (index-only scans: a
        # county's year is ~80,000 rows).
        Index(
            "ix_parcel_volume_division_code_day",
            "division_code",
            "day",
            postgresql_include=list(FIGURES),
        ),
        *_checks(),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    carrier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carrier.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    place_code: Mapped[str] = mapped_column(
        STATION_CODE, nullable=False, comment="the station code, or the township code"
    )
    station_code: Mapped[str | None] = mapped_column(STATION_CODE)
    township_code: Mapped[str | None] = mapped_column(CODE)
    division_code: Mapped[str] = mapped_column(
        CODE, nullable=False, comment="the station's division, or the township"
    )
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    submitted_by: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ParcelVolumeRevision(_Figures, Base):
    """Every revision ever sent, the current one included."""

    __tablename__ = "parcel_volume_revision"
    __table_args__ = (UniqueConstraint("volume_id", "revision"), *_checks())

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    volume_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("parcel_volume.id"), nullable=False
    )
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    submitted_by: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
