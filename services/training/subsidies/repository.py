"""Queries of subsidy policies and computed subsidies. Only ``flush`` here."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Text, case, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.training.sessions.models import SessionSubsidy, TrainingSession
from services.training.subsidies.models import SubsidyPolicy


async def transaction_now(session: AsyncSession) -> datetime:
    return await session.scalar(select(func.now()))  # type: ignore[return-value]


async def lock_region(session: AsyncSession, region: str) -> None:
    """Serialise writers of one region's policies, so two overlapping ones cannot both pass."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"),
        {"lock": f"training.subsidy_policy:{region}"},
    )


async def current(session: AsyncSession, key: str) -> SubsidyPolicy | None:
    return await session.scalar(
        select(SubsidyPolicy).where(SubsidyPolicy.key == key, SubsidyPolicy.current)
    )


async def versions(session: AsyncSession, key: str) -> list[SubsidyPolicy]:
    stmt = select(SubsidyPolicy).where(SubsidyPolicy.key == key).order_by(SubsidyPolicy.version)
    return list(await session.scalars(stmt))


async def overlapping(
    session: AsyncSession, *, key: str, region: str, valid_from: date, valid_to: date | None
) -> SubsidyPolicy | None:
    stmt = select(SubsidyPolicy).where(
        SubsidyPolicy.current,
        SubsidyPolicy.key != key,
        SubsidyPolicy.region == region,
        or_(SubsidyPolicy.valid_to.is_(None), SubsidyPolicy.valid_to >= valid_from),
    )
    if valid_to is not None:
        stmt = stmt.where(SubsidyPolicy.valid_from <= valid_to)
    return await session.scalar(stmt.order_by(SubsidyPolicy.valid_from).limit(1))


async def list_current(session: AsyncSession, region: str | None) -> list[SubsidyPolicy]:
    stmt = select(SubsidyPolicy).where(SubsidyPolicy.current)
    if region:
        # Policies covering the region, and those inside it.
        stmt = stmt.where(
            or_(
                SubsidyPolicy.region.startswith(region, autoescape=True),
                text("left(:region, length(region)) = region").bindparams(region=region),
            )
        )
    return list(await session.scalars(stmt.order_by(SubsidyPolicy.region, SubsidyPolicy.key)))


def _applicable(code: Any, on: Any) -> Select[tuple[SubsidyPolicy]]:
    """The current policy valid on ``on`` whose region holds the division ``code``, the
    most specific region first."""
    return (
        select(SubsidyPolicy)
        .where(
            SubsidyPolicy.current,
            func.left(code, func.length(SubsidyPolicy.region)) == SubsidyPolicy.region,
            SubsidyPolicy.valid_from <= on,
            or_(SubsidyPolicy.valid_to.is_(None), SubsidyPolicy.valid_to >= on),
        )
        .order_by(func.length(SubsidyPolicy.region).desc())
        .limit(1)
    )


async def applicable(session: AsyncSession, division_code: str, on: date) -> SubsidyPolicy | None:
    return await session.scalar(_applicable(literal(division_code, Text), on))


async def min_ages(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, int | None]:
    """Per session, the minimum age of the policy that governs its subsidy now: the one its
    fixed rate keeps when held, else the applicable one on its first day — for a sheet's
    sessions in one query."""
    fixed = select(SessionSubsidy.min_age).where(SessionSubsidy.session_id == TrainingSession.id)
    governing = (
        _applicable(TrainingSession.division_code, TrainingSession.starts_on)
        .with_only_columns(SubsidyPolicy.min_age)
        .scalar_subquery()
    )
    stmt = select(
        TrainingSession.id,
        case((fixed.exists(), fixed.scalar_subquery()), else_=governing),
    ).where(TrainingSession.id.in_(sorted(set(session_ids))))
    return {row[0]: row[1] for row in await session.execute(stmt)}


async def add(session: AsyncSession, rows: Sequence[Any]) -> None:
    session.add_all(rows)
    await session.flush()


async def held_without_rate(session: AsyncSession, policy: SubsidyPolicy) -> list[TrainingSession]:
    stmt = (
        select(TrainingSession)
        .outerjoin(SessionSubsidy, SessionSubsidy.session_id == TrainingSession.id)
        .where(
            SessionSubsidy.session_id.is_(None),
            TrainingSession.status == "held",
            TrainingSession.division_code.startswith(policy.region, autoescape=True),
            TrainingSession.starts_on >= policy.valid_from,
        )
        .order_by(TrainingSession.id)
        .with_for_update(of=TrainingSession, key_share=True)
    )
    if policy.valid_to is not None:
        stmt = stmt.where(TrainingSession.starts_on <= policy.valid_to)
    return list(await session.scalars(stmt))


async def under_age(
    session: AsyncSession, session_id: int, starts_on: date, min_age: int
) -> list[int]:
    rows = await session.execute(
        text(
            """
            SELECT DISTINCT a.trainee_id FROM training.attendance a
            JOIN training.trainee t ON t.id = a.trainee_id
            WHERE a.session_id = :session_id
              AND t.birth_date > CAST(:starts_on AS date) - make_interval(years => CAST(:min_age AS int))
            ORDER BY 1
            """
        ),
        {"session_id": session_id, "starts_on": starts_on, "min_age": min_age},
    )
    return [row[0] for row in rows]


# Per trainee of one session: days attended (a half day is 0.5) and the amount it earns.
_PER_TRAINEE = """
    SELECT a.trainee_id,
           sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END)::numeric(6,1) AS days,
           CASE WHEN a.trainee_id = ANY(r.ineligible_trainees) THEN 0
                WHEN r.unit = 'person' THEN r.unit_amount
                ELSE r.unit_amount * sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END)
           END::numeric(12,2) AS amount,
           a.trainee_id = ANY(r.ineligible_trainees) AS under_age
    FROM training.attendance a
    JOIN training.session_subsidy r ON r.session_id = a.session_id
    WHERE a.session_id = :session_id
    GROUP BY a.trainee_id, r.ineligible_trainees, r.unit, r.unit_amount
    ORDER BY a.trainee_id
"""


async def per_trainee(session: AsyncSession, session_id: int) -> list[Any]:
    return list(await session.execute(text(_PER_TRAINEE), {"session_id": session_id}))


async def days_per_trainee(session: AsyncSession, session_id: int) -> list[Any]:
    rows = await session.execute(
        text(
            """
            SELECT trainee_id, sum(CASE part WHEN 'day' THEN 1.0 ELSE 0.5 END)::numeric(6,1)
            FROM training.attendance WHERE session_id = :session_id
            GROUP BY trainee_id ORDER BY trainee_id
            """
        ),
        {"session_id": session_id},
    )
    return list(rows)


# What held sessions whose first day lies in the period earn, per organiser or county.
SUBSIDY_REPORT = """
WITH per_trainee AS (
    SELECT s.id AS session_id, s.organiser_code, s.organiser_name,
           left(s.division_code, 6) AS county,
           CASE WHEN a.trainee_id = ANY(r.ineligible_trainees) THEN 0
                WHEN r.unit = 'person' THEN r.unit_amount
                ELSE r.unit_amount * sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END)
           END AS amount
    FROM training.training_session s
    JOIN training.session_subsidy r ON r.session_id = s.id
    JOIN training.attendance a ON a.session_id = s.id
    WHERE s.status = 'held' AND s.starts_on BETWEEN :first AND :last
      AND s.division_code LIKE :prefix
    GROUP BY s.id, a.trainee_id, r.ineligible_trainees, r.unit, r.unit_amount
)
SELECT {group_key} AS key, min({group_name}) AS name, count(DISTINCT session_id) AS sessions,
       count(*) AS trainees, sum(amount)::numeric(14,2) AS amount
FROM per_trainee GROUP BY 1 ORDER BY 1
"""


async def subsidy_report(
    session: AsyncSession, *, prefix: str, first: date, last: date, group_by: str
) -> list[Any]:
    key, name = (
        ("organiser_code", "organiser_name")
        if group_by == "organiser"
        else ("county", "NULL::text")
    )
    sql = SUBSIDY_REPORT.format(group_key=key, group_name=name)
    rows = await session.execute(text(sql), {"prefix": prefix + "%", "first": first, "last": last})
    return list(rows)
