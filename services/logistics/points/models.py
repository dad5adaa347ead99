"""Station points as logistics sees them: a projection of stations' feed (``station``
events), never written by logistics' own routes."""

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Date, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from common.reference import CODE
from services.logistics.base import Base

# Station codes are the division code, '-', two digits; byte-wise so that a county's points
# are a prefix range of the primary key.
STATION_CODE = String(15, collation="C")


class StationPoint(Base):
    """A county centre, township station or village point: what coverage needs of it."""

    __tablename__ = "station_point"
    __table_args__ = (Index("ix_station_point_division_code", "division_code"),)

    code: Mapped[str] = mapped_column(STATION_CODE, primary_key=True)
    tier: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    division_code: Mapped[str] = mapped_column(CODE, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    location: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326))
    operating_since: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
