"""Queries of training sessions. Only ``flush`` here; the request scope commits."""

from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.training.attendance.models import Attendance
from services.training.sessions.models import SessionSubsidy, TrainingSession
from services.training.subsidies.models import SubsidyPolicy


async def get(
    session: AsyncSession, session_id: int, *, lock: bool = False
) -> TrainingSession | None:
    stmt = select(TrainingSession).where(TrainingSession.id == session_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def add(session: AsyncSession, row: TrainingSession) -> None:
    session.add(row)
    await session.flush()


async def has_attendance(session: AsyncSession, session_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Attendance.session_id == session_id))))


async def attendance_span(
    session: AsyncSession, session_id: int
) -> tuple[date | None, date | None]:
    row = (
        await session.execute(
            select(func.min(Attendance.day), func.max(Attendance.day)).where(
                Attendance.session_id == session_id
            )
        )
    ).one()
    return row[0], row[1]


async def list_sessions(
    session: AsyncSession,
    *,
    prefix: str | None,
    organiser: str | None,
    status: str | None,
    first: date | None,
    last: date | None,
    after: int | None,
    limit: int,
) -> list[TrainingSession]:
    stmt = select(TrainingSession)
    if prefix:
        stmt = stmt.where(TrainingSession.division_code.startswith(prefix, autoescape=True))
    if organiser:
        stmt = stmt.where(TrainingSession.organiser_code == organiser)
    if status:
        stmt = stmt.where(TrainingSession.status == status)
    if first:
        stmt = stmt.where(TrainingSession.ends_on >= first)
    if last:
        stmt = stmt.where(TrainingSession.starts_on <= last)
    if after is not None:
        stmt = stmt.where(TrainingSession.id > after)
    return list(await session.scalars(stmt.order_by(TrainingSession.id).limit(limit + 1)))


async def subsidy_rate(
    session: AsyncSession, session_id: int
) -> tuple[SessionSubsidy, SubsidyPolicy] | None:
    row = (
        await session.execute(
            select(SessionSubsidy, SubsidyPolicy)
            .join(SubsidyPolicy, SubsidyPolicy.id == SessionSubsidy.policy_id)
            .where(SessionSubsidy.session_id == session_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])
