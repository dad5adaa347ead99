"""Queries of trainees. Only ``flush`` here; the request scope commits."""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy import Select, any_, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from common.db import RawStatement
from services.training.attendance.models import Attendance
from services.training.changes.models import TrainingIdempotencyRecord
from services.training.outcomes.models import Outcome
from services.training.sessions.models import TrainingSession
from services.training.trainees.models import Trainee


async def get(session: AsyncSession, trainee_id: int, *, lock: bool = False) -> Trainee | None:
    stmt = select(Trainee).where(Trainee.id == trainee_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def by_index(session: AsyncSession, indexes: Sequence[bytes]) -> Trainee | None:
    return await session.scalar(select(Trainee).where(Trainee.id_number_index.in_(indexes)))


async def lock_index(session: AsyncSession, index: bytes) -> None:
    """Serialise two registrations of one ID number (also across a key rotation, where the
    unique index alone would not see an old-key row)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"),
        {"lock": "training.trainee:" + index.hex()},
    )


async def add(session: AsyncSession, row: Trainee) -> None:
    session.add(row)
    await session.flush()


async def scope_of(session: AsyncSession, trainee_id: int) -> tuple[list[str], list[str]]:
    """Places and organisers of the sessions the trainee attended."""
    rows = await session.execute(
        select(TrainingSession.division_code, TrainingSession.organiser_code)
        .where(
            TrainingSession.id.in_(
                select(Attendance.session_id).where(Attendance.trainee_id == trainee_id)
            )
        )
        .distinct()
    )
    places, organisers = [], []
    for place, organiser in rows:
        places.append(place)
        organisers.append(organiser)
    return places, organisers


def _trainees(*, prefix: Any, category: Any, after: Any, rows: Any) -> Select[tuple[Trainee]]:
    """Trainees not erased by id (values, or bind parameters of a raw statement: a prefix
    given as one is not escaped, so it must be digits)."""
    stmt = select(Trainee).where(Trainee.erased_at.is_(None))
    if isinstance(prefix, BindParameter):
        stmt = stmt.where(Trainee.residence_code.startswith(prefix))
    elif prefix:
        stmt = stmt.where(Trainee.residence_code.startswith(prefix, autoescape=True))
    if category:
        stmt = stmt.where(any_(Trainee.categories) == category)
    if after is not None:
        stmt = stmt.where(Trainee.id > after)
    return stmt.order_by(Trainee.id).limit(rows)


async def list_trainees(
    session: AsyncSession, *, prefix: str, category: str | None, after: int | None, limit: int
) -> list[Trainee]:
    stmt = _trainees(prefix=prefix, category=category, after=after, rows=limit + 1)
    return list(await session.scalars(stmt))


# The first page of ``list_trainees`` under a division (no category), for a station's
# record (ADR 0076), on the asyncpg connection of ``common.db.read_connection``.
_FIRST_UNDER = RawStatement(
    _trainees(prefix=bindparam("prefix"), category=None, after=None, rows=bindparam("rows"))
)


async def read_first_trainees(
    conn: asyncpg.Connection, prefix: str, limit: int
) -> list[SimpleNamespace]:
    """``list_trainees(prefix=…, category=None, after=None, limit=…)`` (n+1 rows) as rows to
    show, not entities: each has the trainee's columns as attributes (what
    ``service.trainee_out`` reads). ``prefix``: digits only."""
    if not prefix.isdigit():
        raise ValueError("a division prefix is digits")
    found = await _FIRST_UNDER.fetch(conn, prefix=prefix, rows=limit + 1)
    return [SimpleNamespace(**row) for row in found]


async def attendance_of(session: AsyncSession, trainee_id: int) -> list[Attendance]:
    stmt = (
        select(Attendance)
        .where(Attendance.trainee_id == trainee_id)
        .order_by(Attendance.day, Attendance.session_id)
    )
    return list(await session.scalars(stmt))


async def outcomes_of(session: AsyncSession, trainee_id: int) -> list[Outcome]:
    stmt = (
        select(Outcome)
        .where(Outcome.trainee_id == trainee_id)
        .order_by(Outcome.occurred_on, Outcome.id)
    )
    return list(await session.scalars(stmt))


async def subsidies_of(session: AsyncSession, trainee_id: int) -> list[Any]:
    rows = await session.execute(
        text(
            """
            SELECT a.session_id,
                   (CASE WHEN a.trainee_id = ANY(r.ineligible_trainees) THEN 0
                         WHEN r.unit = 'person' THEN r.unit_amount
                         ELSE r.unit_amount * sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END)
                    END)::numeric(12,2) AS amount
            FROM training.attendance a
            JOIN training.session_subsidy r ON r.session_id = a.session_id
            JOIN training.training_session s ON s.id = a.session_id AND s.status = 'held'
            WHERE a.trainee_id = :trainee_id
            GROUP BY a.session_id, a.trainee_id, r.ineligible_trainees, r.unit, r.unit_amount
            ORDER BY a.session_id
            """
        ),
        {"trainee_id": trainee_id},
    )
    return list(rows)


async def erase(session: AsyncSession, trainee: Trainee, by: str) -> None:
    """Personal fields gone; residence and categories stay for the indicators. Outcome
    details that could name the person (shop, employer, note) go too, and so does every
    stored replay of a write about them."""
    now = func.now()
    await session.execute(
        update(Trainee)
        .where(Trainee.id == trainee.id)
        .values(
            id_number_cipher=None,
            id_number_index=None,
            id_number_mask=None,
            key_id=None,
            name=None,
            phone=None,
            sex=None,
            birth_date=None,
            birth_year=None,
            erased_at=now,
            erased_by=by,
            updated_at=now,
            version=Trainee.version + 1,
        )
    )
    await session.execute(
        update(Outcome)
        .where(Outcome.trainee_id == trainee.id)
        .values(platform=None, shop_name=None, shop_url=None, employer=None, note=None)
    )
    body = TrainingIdempotencyRecord.body
    await session.execute(
        delete(TrainingIdempotencyRecord).where(
            (body["id"].astext == str(trainee.id))
            | (body["trainee"]["id"].astext == str(trainee.id))
        )
    )
    await session.refresh(trainee)
