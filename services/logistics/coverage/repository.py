"""Queries of coverage. Bulk paths use set-based SQL (``common.bulkwrite``): one statement
per kind of change however many rows an upload holds. Only flush; the request commits."""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import asyncpg
import pydantic_core
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common import bulkwrite
from common.pagination import PageParams, keyset
from common.reference import DivisionRef, DivisionRule, refusing_join
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


class Sent(NamedTuple):
    """The service a row asks for, as it is compared with the period already there (a
    tuple: made and hashed for every row of an upload)."""

    station_code: str | None
    mode: str
    pickups_per_week: int
    deliveries_per_week: int
    valid_from: date
    valid_to: date | None


async def places(
    session: AsyncSession,
    keys: Sequence[tuple[int, str]],
    sent: Sequence[Sent | None],
    rules: Collection[DivisionRule],
    *,
    wanted: Iterable[str],
) -> list[asyncpg.Record]:
    """What the reference list and the history say of these distinct (carrier id, division)
    pairs, in one pass of index lookups: only the keys with something to say come back, as
    ``n`` (the key's 1-based position), ``periods`` (its current, not superseded, periods),
    ``settled``, ``judged`` and the reference row's ``DivisionRef`` columns.

    ``judged``: none of ``rules`` accepts the code, or it is ``wanted`` (see
    ``common.reference.refusing_join``); the reference columns are NULL otherwise, and
    ``code`` NULL when the list has no such code. ``settled``: ``sent[i]`` is the service of
    the one row naming key i (None when several do), and when that row leaves the key's one
    period as it is (the same service over the same end date, from a day inside it: what
    ``service._apply`` answers ``unchanged``), that period's id: a re-sent upload is judged
    here instead of 100,000 periods coming back to be compared in Python. The services sent
    go as a table of their distinct values (an upload repeats a few), not a column each."""
    if not keys:
        return []
    services: dict[Sent, int] = {}
    service = [None if s is None else services.setdefault(s, len(services) + 1) for s in sent]
    args: list[Any] = [[k[0] for k in keys], [k[1] for k in keys], service]
    args += [[getattr(s, name) for s in services] for name in _PERIOD]
    join, judged = refusing_join(LogisticsDivision, rules, "k.code", args, wanted=wanted)
    division = ", ".join(
        f"CASE WHEN j.judged THEN d.{name} END AS {name}" for name in DivisionRef._fields
    )
    return await bulkwrite.fetch(
        session,
        f"""
        SELECT k.n, c.periods, j.judged, {division},
               CASE WHEN s.i IS NOT NULL AND c.periods = 1 AND c.same THEN c.id END AS settled
        FROM unnest($1::bigint[], $2::text[], $3::int[])
             WITH ORDINALITY AS k(carrier_id, code, service, n)
        LEFT JOIN unnest($4::text[], $5::text[], $6::int[], $7::int[], $8::date[], $9::date[])
             WITH ORDINALITY AS s(station_code, mode, pickups, deliveries, valid_from, valid_to, i)
             ON s.i = k.service
        {join}
        CROSS JOIN LATERAL (SELECT {judged} AS judged) j
        -- By index, place by place: how many periods, and whether the one there is the
        -- service sent.
        CROSS JOIN LATERAL (
            SELECT count(*) AS periods, min(c.id) AS id,
                   bool_and(c.station_code IS NOT DISTINCT FROM s.station_code
                            AND c.mode = s.mode AND c.pickups_per_week = s.pickups
                            AND c.deliveries_per_week = s.deliveries
                            AND c.valid_to IS NOT DISTINCT FROM s.valid_to
                            AND s.valid_from >= c.valid_from
                            AND s.valid_from <= coalesce(c.valid_to, 'infinity'::date)) AS same
            FROM logistics.coverage c
            WHERE c.carrier_id = k.carrier_id AND c.division_code = k.code
              AND c.superseded_at IS NULL
        ) c
        WHERE j.judged OR c.periods > 0
        """,
        *args,
    )


async def periods_of(
    session: AsyncSession, keys: Sequence[tuple[int, str]]
) -> list[asyncpg.Record]:
    """Every period that counts (not superseded) of these distinct (carrier id, division)
    pairs, oldest first, with ``n`` (the key's 1-based position)."""
    if not keys:
        return []
    return await bulkwrite.fetch(
        session,
        f"""
        SELECT k.n, c.id, {", ".join(f"c.{name}" for name in ("carrier_id", "division_code", *_PERIOD))}
        FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS k(carrier_id, code, n)
        -- By index, place by place (OFFSET 0), not by hashing every period there is.
        JOIN LATERAL (
            SELECT * FROM logistics.coverage c
            WHERE c.carrier_id = k.carrier_id AND c.division_code = k.code
              AND c.superseded_at IS NULL
            OFFSET 0
        ) c ON true
        ORDER BY k.n, c.valid_from
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )


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
