"""Roll-ups kept in the same transaction as the attendance they count (ADR 0033), so the
indicators of a county, a province or the nation read thousands of rows, not millions.

- ``CountyDayTally``: per residence county, day and session level, the participations
  (trainee × session) whose first attended day it is — in all, of poor households and per
  trainee category — and the person-days attended that day: sums, so any set of counties
  and days adds up;
- ``TraineeActivity``: per trainee, the days attended (a date multirange, and one per
  session level) beside a copy of residence and categories: distinct persons are counted
  from it, never summed;
- ``SessionTally``: per session, its participations and person-days (subsidies due);
- ``VillageTally`` and ``CountyPersonTally``: the residents ever trained, per village, and per
  county in all, per level and per category (ADR 0092): the persons of a period are these
  less those with days outside it who attended nothing in it, so only those are read;
- ``VillageMonthTally`` and ``CountyMonthTally``: the persons of each month (ADR 0097) — per
  village, and per county and kind (``all`` or a level) with their categories — keyed by the
  days attended that month (``mask``, bit d-1 for day d) and the last day attended before it
  (``prev_day``): a person counts in a period on the first month with a day in it, the one
  whose ``prev_day`` is before the period, so the persons of any period are a sum;
- ``TraineeGap``: each run of days between two days a trainee attended, with a copy of the
  residence (ADR 0097): those with no day in a period but days before and after it are those
  with a gap holding it, found by the index on the gaps.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DATEMULTIRANGE, DATERANGE
from sqlalchemy.orm import Mapped, mapped_column

from services.training.base import CODE, Base
from services.training.sessions.models import SessionLevel
from services.training.trainees.models import TraineeCategory

CATEGORIES = tuple(c.value for c in TraineeCategory)
LEVELS = tuple(lv.value for lv in SessionLevel)


def _count() -> Mapped[int]:
    return mapped_column(Integer, nullable=False, server_default=text("0"))


def _days() -> Mapped[object]:
    return mapped_column(DATEMULTIRANGE, nullable=False, server_default=text("'{}'"))


class CountyDayTally(Base):
    __tablename__ = "county_day_tally"

    county: Mapped[str] = mapped_column(String(6, collation="C"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[str] = mapped_column(String(12), primary_key=True)
    pairs: Mapped[int] = _count()
    person_days: Mapped[Decimal] = mapped_column(
        Numeric(14, 1), nullable=False, server_default=text("0")
    )
    pairs_poor_household: Mapped[int] = _count()
    pairs_rural_youth: Mapped[int] = _count()
    pairs_returning_graduate: Mapped[int] = _count()
    pairs_veteran: Mapped[int] = _count()
    pairs_village_official: Mapped[int] = _count()
    pairs_first_secretary: Mapped[int] = _count()
    pairs_cooperative_member: Mapped[int] = _count()
    pairs_station_operator: Mapped[int] = _count()
    pairs_online_shop_owner: Mapped[int] = _count()
    pairs_other: Mapped[int] = _count()


class TraineeActivity(Base):
    __tablename__ = "trainee_activity"
    __table_args__ = (
        Index("ix_trainee_activity_residence_code", "residence_code"),
        # Those with days before or after a period (ADR 0092).
        Index("ix_trainee_activity_first_day", text("lower(attended)")),
        Index("ix_trainee_activity_last_day", text("upper(attended)")),
    )

    trainee_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("trainee.id"), primary_key=True)
    residence_code: Mapped[str] = mapped_column(CODE, nullable=False)
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(24)), nullable=False)
    attended: Mapped[object] = _days()
    basic: Mapped[object] = _days()
    advanced: Mapped[object] = _days()
    senior: Mapped[object] = _days()
    incubation: Mapped[object] = _days()


class SessionTally(Base):
    __tablename__ = "session_tally"

    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("training_session.id"), primary_key=True
    )
    pairs: Mapped[int] = _count()
    person_days: Mapped[Decimal] = mapped_column(
        Numeric(14, 1), nullable=False, server_default=text("0")
    )


class _PersonsByCategory:
    """Distinct persons per trainee category (a person in several counts in each)."""

    persons_poor_household: Mapped[int] = _count()
    persons_rural_youth: Mapped[int] = _count()
    persons_returning_graduate: Mapped[int] = _count()
    persons_veteran: Mapped[int] = _count()
    persons_village_official: Mapped[int] = _count()
    persons_first_secretary: Mapped[int] = _count()
    persons_cooperative_member: Mapped[int] = _count()
    persons_station_operator: Mapped[int] = _count()
    persons_online_shop_owner: Mapped[int] = _count()
    persons_other: Mapped[int] = _count()


class VillageTally(Base):
    __tablename__ = "village_tally"

    village: Mapped[str] = mapped_column(CODE, primary_key=True)
    persons: Mapped[int] = _count()


class CountyPersonTally(_PersonsByCategory, Base):
    __tablename__ = "county_person_tally"

    county: Mapped[str] = mapped_column(String(6, collation="C"), primary_key=True)
    persons: Mapped[int] = _count()
    persons_basic: Mapped[int] = _count()
    persons_advanced: Mapped[int] = _count()
    persons_senior: Mapped[int] = _count()
    persons_incubation: Mapped[int] = _count()


class VillageMonthTally(Base):
    __tablename__ = "village_month_tally"
    # Read by month without the table (an index-only scan).
    __table_args__ = (
        Index(
            "ix_village_month_tally_month",
            "month",
            "village",
            postgresql_include=["prev_day", "mask", "persons"],
        ),
    )

    village: Mapped[str] = mapped_column(CODE, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    prev_day: Mapped[date] = mapped_column(Date, primary_key=True)
    mask: Mapped[int] = mapped_column(Integer, primary_key=True)
    persons: Mapped[int] = _count()


class CountyMonthTally(_PersonsByCategory, Base):
    __tablename__ = "county_month_tally"

    county: Mapped[str] = mapped_column(String(6, collation="C"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    prev_day: Mapped[date] = mapped_column(Date, primary_key=True)
    mask: Mapped[int] = mapped_column(Integer, primary_key=True)
    persons: Mapped[int] = _count()


class TraineeGap(Base):
    __tablename__ = "trainee_gap"
    __table_args__ = (
        Index(
            "ix_trainee_gap_gap",
            "gap",
            postgresql_using="spgist",
            postgresql_include=["residence_code"],
        ),
    )

    trainee_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("trainee.id"), primary_key=True)
    gap: Mapped[object] = mapped_column(DATERANGE, primary_key=True)
    residence_code: Mapped[str] = mapped_column(CODE, nullable=False)
