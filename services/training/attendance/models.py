"""Attendance (签到): one row per trainee, session and day, a whole day or half of one."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.training.base import Base


class DayPart(StrEnum):
    DAY = "day"
    MORNING = "am"
    AFTERNOON = "pm"


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (
        # A morning and an afternoon of one session are two rows of one day.
        PrimaryKeyConstraint("session_id", "trainee_id", "day", "part"),
        CheckConstraint("part IN ('day','am','pm')", name="part"),
        # A person is in one place at a time: across all sessions a trainee's day holds one
        # whole day, or a morning and an afternoon. A whole day takes both halves, so these
        # two indexes refuse a day counted twice (the same half claimed by two sessions).
        Index(
            "uq_attendance_trainee_id_day_morning",
            "trainee_id",
            "day",
            unique=True,
            postgresql_where=text("part IN ('day','am')"),
        ),
        Index(
            "uq_attendance_trainee_id_day_afternoon",
            "trainee_id",
            "day",
            unique=True,
            postgresql_where=text("part IN ('day','pm')"),
        ),
    )

    # The session and the trainee a row names exist: checked once per statement, not per row,
    # by triggers that lock them as foreign keys would (migration training_0009, ADR 0103).
    session_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    trainee_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    part: Mapped[str] = mapped_column(String(3), nullable=False)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
