"""Queries of outcomes. Only ``flush`` here; the request scope commits."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.training.attendance.models import Attendance
from services.training.outcomes.models import Outcome


async def first_training_day(session: AsyncSession, trainee_id: int) -> date | None:
    return await session.scalar(
        select(func.min(Attendance.day)).where(Attendance.trainee_id == trainee_id)
    )


async def add(session: AsyncSession, row: Outcome) -> None:
    session.add(row)
    await session.flush()


async def of_trainee(session: AsyncSession, trainee_id: int) -> list[Outcome]:
    stmt = (
        select(Outcome)
        .where(Outcome.trainee_id == trainee_id)
        .order_by(Outcome.occurred_on, Outcome.id)
    )
    return list(await session.scalars(stmt))
