"""Queries of coverage. Bulk paths use set-based SQL (``common.bulkwrite``): one statement
per kind of change however many rows an upload holds. Only flush; the request commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import pydantic_core
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common import bulkwrite
from common.pagination import PageParams, keyset
from services.logistics.carriers.models import Carrier
from services.logistics.coverage.models import Coverage
from services.logistics.reference.models import LogisticsDivision

COLUMNS = (
    "id",
    "carrier_id",
    "division_code",
    "station_code",
    "mode",
    "pickups_per_week",
    "deliveries_per_week",
    "valid_from",
    "valid_to",
    "source",
    "recorded_by",
    "recorded_at",
    "superseded_at",
    "version",
)


async def lock_carriers(session: AsyncSession, carrier_ids: Sequence[int]) -> None:
    """Coverage writers of one carrier take turns (in id order, so two uploads naming the
    same carriers cannot deadlock): the no-overlap rule is checked against what is there."""
    await bulkwrite.execute(
        session,
        "SELECT pg_advisory_xact_lock(hashtextextended('logistics:coverage:' || id, 0))"
        " FROM unnest($1::bigint[]) AS id ORDER BY id",
        sorted(set(carrier_ids)),
    )


# What a period is compared by: the periods of each (carrier, place), and the row sent for it.
_PERIOD = COLUMNS[3:9]  # station_code … valid_to


@dataclass(frozen=True)
class Sent:
    """The service a row asks for, as it is compared with the period already there."""

    station_code: str | None
    mode: str
    pickups_per_week: int
    deliveries_per_week: int
    valid_from: date
    valid_to: date | None


async def periods_of(
    session: AsyncSession, keys: Sequence[tuple[int, str]], sent: Sequence[Sent | None]
) -> list[asyncpg.Record]:
    """Every period that counts (not superseded) of these distinct (carrier id, division)
    pairs, oldest first: ``n`` (the key's 1-based position), ``id``, ``settled`` and the
    columns. ``sent[i]``: the service of the one row naming key i (None when several do).
    A key whose one period that row leaves as it is (the same service over the same end
    date, from a day inside it: what ``service._apply`` answers ``unchanged``) comes back
    ``settled`` with its ``n`` and ``id`` only: a re-sent upload is judged in the query
    instead of 100,000 periods coming back to be compared in Python."""
    if not keys:
        return []
    columns = [[getattr(s, name) if s else None for s in sent] for name in _PERIOD]
    return await bulkwrite.fetch(
        session,
        f"""
        WITH p AS (
            SELECT k.n, c.id, c.carrier_id, c.division_code, c.station_code, c.mode,
                   c.pickups_per_week, c.deliveries_per_week, c.valid_from, c.valid_to,
                   c.version,
                   k.mode IS NOT NULL AND count(*) OVER (PARTITION BY k.n) = 1
                   AND c.station_code IS NOT DISTINCT FROM k.station_code
                   AND c.mode = k.mode AND c.pickups_per_week = k.pickups
                   AND c.deliveries_per_week = k.deliveries
                   AND c.valid_to IS NOT DISTINCT FROM k.valid_to
                   AND k.valid_from >= c.valid_from
                   AND k.valid_from <= coalesce(c.valid_to, 'infinity'::date) AS settled
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[],
                        $6::int[], $7::date[], $8::date[])
                 WITH ORDINALITY AS k(carrier_id, code, station_code, mode, pickups,
                                      deliveries, valid_from, valid_to, n)
            -- By index, place by place (OFFSET 0), not by hashing every period there is.
            JOIN LATERAL (
                SELECT * FROM logistics.coverage c
                WHERE c.carrier_id = k.carrier_id AND c.division_code = k.code
                  AND c.superseded_at IS NULL
                OFFSET 0
            ) c ON true
        )
        SELECT n, id, settled,
               {", ".join(f"CASE WHEN NOT settled THEN {c} END AS {c}" for c in _KEPT)}
        FROM p
        ORDER BY n, valid_from
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
        *columns,
    )


_KEPT = ("carrier_id", "division_code", *_PERIOD, "version")


async def station_points(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """Status of these station points in the projection."""
    if not codes:
        return {}
    rows = await bulkwrite.fetch(
        session,
        "SELECT code, status FROM logistics.station_point WHERE code = ANY($1::text[])",
        sorted(set(codes)),
    )
    return {row["code"]: row["status"] for row in rows}


async def new_ids(session: AsyncSession, count: int) -> list[int]:
    return await bulkwrite.next_ids(session, "logistics.coverage_id_seq", count)


async def insert(session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    await bulkwrite.copy_rows(session, "coverage", "logistics", COLUMNS, records)


async def close(session: AsyncSession, ids: Sequence[int], valid_to: Sequence[date | None]) -> None:
    await bulkwrite.execute(
        session,
        """
        UPDATE logistics.coverage AS c SET valid_to = u.valid_to, version = c.version + 1
        FROM unnest($1::bigint[], $2::date[]) AS u(id, valid_to) WHERE c.id = u.id
        """,
        list(ids),
        list(valid_to),
    )


async def supersede(session: AsyncSession, ids: Sequence[int], at: datetime) -> None:
    await bulkwrite.execute(
        session,
        "UPDATE logistics.coverage SET superseded_at = $2, version = version + 1"
        " WHERE id = ANY($1::bigint[])",
        list(ids),
        at,
    )


async def record_events(session: AsyncSession, ids: Sequence[int], actions: Sequence[str]) -> None:
    """A feed event per period changed, built from the rows as written (no personal data)."""
    if not ids:
        return
    await bulkwrite.execute(
        session,
        """
        INSERT INTO logistics.change_event (topic, key, action, version, payload)
        SELECT 'coverage', c.id::text, a.action, c.version,
               jsonb_build_object(
                   'id', c.id, 'carrier', k.code, 'division_code', c.division_code,
                   'station_code', c.station_code, 'mode', c.mode,
                   'pickups_per_week', c.pickups_per_week,
                   'deliveries_per_week', c.deliveries_per_week,
                   'valid_from', c.valid_from, 'valid_to', c.valid_to, 'source', c.source,
                   'superseded', c.superseded_at IS NOT NULL)
        FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS a(id, action, n)
        JOIN logistics.coverage c ON c.id = a.id
        JOIN logistics.carrier k ON k.id = c.carrier_id
        ORDER BY a.n
        """,
        list(ids),
        list(actions),
    )


EVENT_COLUMNS = ("topic", "key", "action", "version", "payload")


async def copy_events(
    session: AsyncSession, events: Sequence[tuple[str, str, str, int, dict[str, Any]]]
) -> None:
    """Feed events (``EVENT_COLUMNS``, the payload as a dict) by COPY, in their order."""
    if not events:
        return
    await bulkwrite.copy_rows(
        session,
        "change_event",
        "logistics",
        EVENT_COLUMNS,
        [(*event[:4], pydantic_core.to_json(event[4]).decode()) for event in events],
    )


async def transaction_now(session: AsyncSession) -> datetime:
    return await session.scalar(select(func.now()))  # type: ignore[return-value]


@dataclass(frozen=True)
class CoverageFilter:
    carrier_id: int | None = None
    prefix: str = ""  # division prefix; '' is the nation
    as_of: date | None = None  # None with ``history``: every period
    history: bool = False
    station_code: str | None = None


def _rows() -> Select[tuple[Coverage, str, str | None]]:
    return (
        select(Coverage, Carrier.code, LogisticsDivision.name)
        .join(Carrier, Carrier.id == Coverage.carrier_id)
        .outerjoin(LogisticsDivision, LogisticsDivision.code == Coverage.division_code)
    )


def valid_on(day: date) -> Any:
    """The periods that count on ``day``."""
    return and_(
        Coverage.superseded_at.is_(None),
        Coverage.valid_from <= day,
        or_(Coverage.valid_to.is_(None), Coverage.valid_to >= day),
    )


async def list_rows(
    session: AsyncSession, where: CoverageFilter, params: PageParams
) -> list[tuple[Coverage, str, str | None]]:
    stmt = _rows()
    if where.carrier_id is not None:
        stmt = stmt.where(Coverage.carrier_id == where.carrier_id)
    if where.prefix:
        stmt = stmt.where(Coverage.division_code.startswith(where.prefix, autoescape=True))
    if where.station_code is not None:
        stmt = stmt.where(Coverage.station_code == where.station_code)
    if not where.history and where.as_of is not None:
        stmt = stmt.where(valid_on(where.as_of))
    rows = await session.execute(keyset(stmt, [Coverage.id], params))
    return [(c, code, name) for c, code, name in rows]


async def row_by_id(
    session: AsyncSession, coverage_id: int
) -> tuple[Coverage, str, str | None] | None:
    found = (await session.execute(_rows().where(Coverage.id == coverage_id))).first()
    return None if found is None else (found[0], found[1], found[2])
