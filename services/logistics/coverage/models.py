"""Courier coverage (快递进村/进乡): which carrier reaches which township or village, how,
how often, and since when. Rows are history: a change closes the open row and opens a new
one, so "as of a date" is a plain range test."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from common.reference import CODE
from services.logistics.base import Base
from services.logistics.points.models import STATION_CODE

MAX_PER_WEEK = 14  # twice a day every day: more is a unit mix-up (per month, per year)


class CoverageMode(StrEnum):
    DIRECT = "direct"  # the carrier delivers to the village point itself
    VIA_TOWNSHIP_HUB = "via_township_hub"  # to the township hub; the village fetches from there
    STATION_RUNS = "station_runs"  # the station's own runs carry the carrier's parcels
    POSTAL = "postal"  # the postal universal service (邮政普遍服务)


class CoverageSource(StrEnum):
    CARRIER_UPLOAD = "carrier_upload"
    OFFICIAL_SURVEY = "official_survey"


class Coverage(Base):
    """One period of one carrier's service of one place (a township or a village).

    ``valid_to`` is the last day served (inclusive), None while it lasts. Periods of one
    carrier and place never overlap (the service checks it under a per-carrier lock). A
    correction of a period from its first day replaces it: the old row is kept with
    ``superseded_at`` set and no longer counts.
    """

    __tablename__ = "coverage"
    __table_args__ = (
        CheckConstraint(f"pickups_per_week BETWEEN 0 AND {MAX_PER_WEEK}", name="pickups"),
        CheckConstraint(f"deliveries_per_week BETWEEN 0 AND {MAX_PER_WEEK}", name="deliveries"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        CheckConstraint(
            "mode IN ('direct','via_township_hub','station_runs','postal')", name="mode"
        ),
        CheckConstraint("source IN ('carrier_upload','official_survey')", name="source"),
        # A carrier's history of a place, newest first; only rows that count.
        Index(
            "ix_coverage_carrier_id_division_code_valid_from",
            "carrier_id",
            "division_code",
            "valid_from",
            postgresql_where=text("superseded_at IS NULL"),
        ),
        # Indicators and "who reaches here" scan a division prefix.
        Index(
            "ix_coverage_division_code",
            "division_code",
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    carrier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carrier.id"), nullable=False)
    division_code: Mapped[str] = mapped_column(CODE, nullable=False)
    station_code: Mapped[str | None] = mapped_column(
        STATION_CODE, comment="the village point itself, when the carrier serves it"
    )
    mode: Mapped[str] = mapped_column(String(20), nullable=False)
    pickups_per_week: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    deliveries_per_week: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, default=1, comment="+1 when closed or superseded"
    )
