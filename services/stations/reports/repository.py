"""Queries of monthly operating reports. Only ``flush`` here; the request scope commits."""

from collections.abc import Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import RawStatement
from services.stations.registry.models import Station
from services.stations.reports.models import MonthlyReport, MonthlyReportRevision

# Bounded by the bulk row cap: two parameters per (station, month) pair stays far below
# PostgreSQL's 32,767 parameters per statement.
_KEY_CHUNK = 5000


async def transaction_now(session: AsyncSession) -> datetime:
    """The transaction's timestamp: every row written by one request carries the same one."""
    return await session.scalar(select(func.now()))  # type: ignore[return-value]


async def station_by_code(session: AsyncSession, code: str) -> Station | None:
    return await session.scalar(select(Station).where(Station.code == code))


async def stations_by_codes(
    session: AsyncSession, codes: Sequence[str], *, lock: bool
) -> dict[str, Station]:
    """The stations with these codes; with ``lock``, row-locked in id order until commit.

    The lock (``FOR NO KEY UPDATE``) serialises report writers of one station, so two
    submissions for the same month cannot both create revision 1, and a status change
    cannot slip in between the status check and the write.
    """
    if not codes:
        return {}
    stmt = select(Station).where(Station.code.in_(sorted(set(codes)))).order_by(Station.id)
    if lock:
        # key_share without read renders FOR NO KEY UPDATE on PostgreSQL.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return {station.code: station for station in await session.scalars(stmt)}


async def reports_for(
    session: AsyncSession, keys: Sequence[tuple[int, date]]
) -> dict[tuple[int, date], MonthlyReport]:
    """Current reports for these (station id, month) pairs."""
    found: dict[tuple[int, date], MonthlyReport] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), _KEY_CHUNK):
        chunk = unique[start : start + _KEY_CHUNK]
        stmt = select(MonthlyReport).where(
            tuple_(MonthlyReport.station_id, MonthlyReport.month).in_(chunk)
        )
        for report in await session.scalars(stmt):
            found[(report.station_id, report.month)] = report
    return found


async def report(session: AsyncSession, station_id: int, month: date) -> MonthlyReport | None:
    return await session.scalar(
        select(MonthlyReport).where(
            MonthlyReport.station_id == station_id, MonthlyReport.month == month
        )
    )


def _reports_of(
    station_id: Any, *, after: Any, first: Any, last: Any, rows: Any
) -> Select[tuple[MonthlyReport]]:
    """A station's reports oldest first (values, or bind parameters of a raw statement)."""
    stmt = select(MonthlyReport).where(MonthlyReport.station_id == station_id)
    if after is not None:
        stmt = stmt.where(MonthlyReport.month > after)
    if first is not None:
        stmt = stmt.where(MonthlyReport.month >= first)
    if last is not None:
        stmt = stmt.where(MonthlyReport.month <= last)
    return stmt.order_by(MonthlyReport.month).limit(rows)


async def list_reports(
    session: AsyncSession,
    station_id: int,
    *,
    after: date | None,
    first: date | None,
    last: date | None,
    limit: int,
) -> list[MonthlyReport]:
    """A station's reports oldest first, keyset-paginated on the month (n+1 rows)."""
    stmt = _reports_of(station_id, after=after, first=first, last=last, rows=limit + 1)
    return list(await session.scalars(stmt))


# The same statement for a station's record (ADR 0076): the months from ``first`` to
# ``last``, on the asyncpg connection of ``common.db.read_connection``.
_REPORTS_BETWEEN = RawStatement(
    _reports_of(
        bindparam("station_id"),
        after=None,
        first=bindparam("first"),
        last=bindparam("last"),
        rows=bindparam("rows"),
    )
)


async def read_reports(
    conn: asyncpg.Connection, station_id: int, first: date, last: date
) -> list[SimpleNamespace]:
    """``list_reports`` of the months ``first`` to ``last`` as rows to show, not entities:
    each has the report's columns as attributes (what ``service.report_out`` reads)."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    found = await _REPORTS_BETWEEN.fetch(
        conn, station_id=station_id, first=first, last=last, rows=max(months, 0)
    )
    return [SimpleNamespace(**row) for row in found]


async def revisions(session: AsyncSession, report_id: int) -> list[MonthlyReportRevision]:
    stmt = (
        select(MonthlyReportRevision)
        .where(MonthlyReportRevision.report_id == report_id)
        .order_by(MonthlyReportRevision.revision)
    )
    return list(await session.scalars(stmt))


async def add_reports(session: AsyncSession, reports: Sequence[MonthlyReport]) -> None:
    """Insert new reports (their ids come back by RETURNING) and flush pending updates."""
    session.add_all(reports)
    await session.flush()


async def add_revisions(session: AsyncSession, rows: Sequence[MonthlyReportRevision]) -> None:
    session.add_all(rows)
    await session.flush()
