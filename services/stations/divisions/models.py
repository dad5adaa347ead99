"""Administrative divisions (统计用区划代码): reference data imported from the NBS list, county
boundaries, and the flags officials set (poverty county, poor village, demonstration county).
"""

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.stations.base import Base

# Codes compare and prefix-match byte-wise whatever the database's collation is, so
# ``code LIKE '141124%'`` can use the primary-key index.
CODE = String(12, collation="C")


class Division(Base):
    """One unit of the NBS list at one of five levels, kept (never deleted) once any record
    may point to it; ``until_edition`` marks a code that a newer edition no longer has."""

    __tablename__ = "division"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{12}$'", name="code_digits"),
        CheckConstraint(
            "level IN ('province','prefecture','county','township','village')", name="level"
        ),
        Index("ix_division_parent_code", "parent_code"),
        Index("ix_division_level_class", "level", "division_class"),
        {"info": {"reference": True}},
    )

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(String(12), nullable=False)
    division_class: Mapped[str | None] = mapped_column(String(24))
    parent_code: Mapped[str | None] = mapped_column(CODE)
    since_edition: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    until_edition: Mapped[int | None] = mapped_column(
        SmallInteger, comment="last edition that listed the code; NULL while it is current"
    )


class CountyBoundary(Base):
    """A county-level unit's boundary (WGS-84/CGCS2000 lon/lat MultiPolygon)."""

    __tablename__ = "county_boundary"
    __table_args__ = ({"info": {"reference": True}},)

    county_code: Mapped[str] = mapped_column(CODE, ForeignKey("division.code"), primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )
    source: Mapped[str] = mapped_column(Text, nullable=False)


class DivisionFlag(Base):
    """Flags no public list carries, set by officials: 国家级贫困县 (county), 建档立卡贫困村
    (village committee), 电子商务进农村综合示范县 with its batch year (county)."""

    __tablename__ = "division_flag"

    code: Mapped[str] = mapped_column(CODE, ForeignKey("division.code"), primary_key=True)
    poverty_county: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    poor_village: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    demonstration_year: Mapped[int | None] = mapped_column(SmallInteger)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
