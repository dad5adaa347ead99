"""Rules of attendance (签到).

- One row per trainee, session and day: a whole day, or a morning or afternoon. The same
  sign-in again changes nothing (``unchanged``): retries and re-uploaded sheets never count
  twice. A day is never counted twice either: another part of the same day in the same
  session, or the same half day in another session, is ``day_counted_twice`` (409).
- Only for a session that is not cancelled (``session_cancelled``, 409), on one of its dates
  (``outside_session_dates``) and not in the future (``future_attendance``), 422.
- A half-day session is signed in for its morning or afternoon, not a whole day.
- Where the session's subsidy policy sets a minimum age, a younger trainee is refused
  (``trainee_under_age``): the policy pays for adults only.
- Who: the session's writers (``authz.require_session_writer``).
People-times (人次) count trainee × session, distinct persons count trainees (ADR 0031).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.changefeed import record_change
from common.errors import Conflict, Forbidden, Problem, Unprocessable
from services.training import authz, checks
from services.training.attendance import repository
from services.training.attendance.models import DayPart
from services.training.changes.models import TrainingChangeEvent
from services.training.sessions.models import DurationKind, SessionStatus, TrainingSession
from services.training.subsidies import service as subsidies

if TYPE_CHECKING:
    from common.fieldcrypt import FieldCipher
    from services.training.attendance.schemas import AttendanceIn, AttendanceOut

TOPIC = "attendance"


@dataclass(slots=True)
class SessionContext:
    """What judging a sign-in needs to know of its session, looked up once per upload (its
    row's values read once: a sheet judges thousands of rows against them)."""

    row: TrainingSession
    min_age: int | None
    writer_problem: Problem | None
    cancelled: bool = field(init=False)
    starts_on: date = field(init=False)
    ends_on: date = field(init=False)
    half_day: bool = field(init=False)

    def __post_init__(self) -> None:
        self.cancelled = self.row.status == SessionStatus.CANCELLED
        self.starts_on = self.row.starts_on
        self.ends_on = self.row.ends_on
        self.half_day = self.row.duration_kind == DurationKind.HALF_DAY


async def contexts_for(
    session: AsyncSession, principal: Principal, rows: Sequence[TrainingSession]
) -> dict[int, SessionContext]:
    min_ages = await subsidies.min_ages(session, rows)
    return {
        row.id: SessionContext(row, min_ages.get(row.id), _writer_problem(principal, row))
        for row in rows
    }


def _writer_problem(principal: Principal, row: TrainingSession) -> Problem | None:
    try:
        authz.require_session_writer(principal, row.division_code, row.organiser_code)
    except Forbidden as e:
        return e
    return None


def part_of(ctx: SessionContext, part: str | None) -> str:
    if part is not None:
        return str(part)
    return DayPart.MORNING if ctx.half_day else DayPart.DAY


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def sign_in_problem(
    ctx: SessionContext, day: date, part: str, born: date | None, *, today: date
) -> Problem | None:
    """The first rule a sign-in breaks, in the order a client can fix them."""
    if ctx.writer_problem is not None:
        return ctx.writer_problem
    row = ctx.row
    if ctx.cancelled:
        return Conflict(
            f"session {row.id} was cancelled; nobody attended it",
            detail_zh=f"培训班 {row.id} 已取消,不能签到",
            code="session_cancelled",
            field="session_id",
        )
    if day > today:
        return Unprocessable(
            f"{day} is in the future; attendance is recorded on or after the day",
            detail_zh=f"{day} 尚未到来,不能提前签到",
            code="future_attendance",
            field="day",
        )
    if not ctx.starts_on <= day <= ctx.ends_on:
        return Unprocessable(
            f"session {row.id} runs from {ctx.starts_on} to {ctx.ends_on}; {day} is outside it",
            detail_zh=f"培训班 {row.id} 的日期为 {ctx.starts_on} 至 {ctx.ends_on},{day} 不在其中",
            code="outside_session_dates",
            field="day",
        )
    if ctx.half_day and part == DayPart.DAY:
        return Unprocessable(
            f"session {row.id} lasts half a day; sign in for its morning (am) or afternoon (pm)",
            detail_zh=f"培训班 {row.id} 为半天培训,时段应为上午或下午",
            code="part_exceeds_session",
            field="part",
        )
    if ctx.min_age is not None and born is not None and _age_on(born, ctx.starts_on) < ctx.min_age:
        return Unprocessable(
            f"the trainee is under {ctx.min_age} on the session's first day; the subsidy policy "
            "of this session is for adults",
            detail_zh=f"学员在培训开始时未满 {ctx.min_age} 周岁,本培训班的补助政策只面向成年人",
            code="trainee_under_age",
            field="id_number",
        )
    return None


def counted_twice(session_id: int, other_session: int, other_part: str, day: date) -> Conflict:
    where = "this session" if other_session == session_id else f"session {other_session}"
    where_zh = "本培训班" if other_session == session_id else f"培训班 {other_session}"
    return Conflict(
        f"the trainee is already signed in for {day} ({other_part}) in {where}; a day is "
        "counted once",
        detail_zh=f"该学员 {day} 已在{where_zh}签到({_PART_ZH[other_part]}),同一天不能重复计算",
        code="day_counted_twice",
        field="day",
        other_session_id=other_session,
    )


_PART_ZH = {"day": "全天", "am": "上午", "pm": "下午"}


async def publish_counts(session: AsyncSession, session_ids: list[int]) -> None:
    """One event per session whose attendance changed: counts only, nobody's name."""
    for session_id, people, person_days, rows in await repository.counts(session, session_ids):
        record_change(
            session,
            TrainingChangeEvent,
            topic=TOPIC,
            key=str(session_id),
            action="counted",
            # Attendance only grows (erasure keeps it), so the row count orders the events.
            version=rows,
            payload={
                "session_id": session_id,
                "people": people,
                "person_days": float(person_days),
                "attendance_rows": rows,
            },
        )


async def sign_in(
    session: AsyncSession,
    principal: Principal,
    fields: "FieldCipher",
    row: TrainingSession,
    body: "AttendanceIn",
    *,
    today: date,
) -> "AttendanceOut":
    """One sign-in from an app: the same rules as a row of a sheet."""
    from services.training.attendance.schemas import AttendanceOut
    from services.training.trainees import service as trainees

    ctx = (await contexts_for(session, principal, [row]))[row.id]
    part = part_of(ctx, body.part)
    created = False
    if body.trainee_id is not None:
        trainee = await trainees.get_trainee(session, body.trainee_id)
        born = trainee.birth_date
    elif body.trainee is not None:
        rid = checks.resident_id(body.trainee.id_number, "trainee.id_number")
        trainee = await trainees.find_by_number(session, fields, rid.number)
        born = rid.birth_date
    else:
        raise Unprocessable(
            "send trainee_id, or trainee with the person's ID number",
            detail_zh="请提供 trainee_id 或学员信息(含身份证号码)",
            code="trainee_required",
            field="trainee_id",
        )
    problem = sign_in_problem(ctx, body.day, part, born, today=today)
    if problem is not None:
        raise problem
    if trainee is None:
        assert body.trainee is not None
        trainee, _ = await trainees.register_from_sign_in(session, principal, fields, body.trainee)
        created = True
    if not await repository.insert_one(
        session, row.id, trainee.id, body.day, part, principal.subject
    ):
        held = await repository.held_on_day(session, trainee.id, body.day)
        same = [a for a in held if a.session_id == row.id and a.part == part]
        if not same:
            other = held[0]
            raise counted_twice(row.id, other.session_id, other.part, body.day)
        outcome = "unchanged"
    else:
        outcome = "created"
        await publish_counts(session, [row.id])
    return AttendanceOut(
        session_id=row.id,
        trainee_id=trainee.id,
        day=body.day,
        part=part,
        outcome=outcome,
        trainee_created=created,
    )
