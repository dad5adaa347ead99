"""Queries of depots: set-based for uploads (``common.bulkwrite``). Only flush."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common import bulkwrite

# The columns written from an upload, in the order of ``DepotState``'s fields.
STATE_COLUMNS = (
    "kind", "name", "division_code", "station_code", "lon", "lat", "address", "area_m2",
    "parcels_per_day", "operator_carrier_id", "operator_name", "operator_credit_code", "status",
)  # fmt: skip
_TYPES = (
    "text", "text", "text", "text", "float8", "float8", "text", "numeric", "int",
    "bigint", "text", "text", "text",
)  # fmt: skip

_SELECT = """
SELECT d.id, d.code, d.kind, d.name, d.division_code, d.station_code,
       ST_X(d.location) AS lon, ST_Y(d.location) AS lat, d.address, d.area_m2,
       d.parcels_per_day, d.operator_carrier_id, oc.code AS operator_carrier, d.operator_name,
       d.operator_credit_code, d.status, d.version, d.updated_by, d.updated_at,
       coalesce(array(SELECT c.carrier_id FROM logistics.depot_carrier c
                      WHERE c.depot_id = d.id ORDER BY c.carrier_id), '{}') AS carrier_ids,
       coalesce(array(SELECT k.code FROM logistics.depot_carrier c
                      JOIN logistics.carrier k ON k.id = c.carrier_id
                      WHERE c.depot_id = d.id ORDER BY k.code), '{}') AS carriers
FROM logistics.depot d
LEFT JOIN logistics.carrier oc ON oc.id = d.operator_carrier_id
"""


async def by_codes(
    session: AsyncSession, codes: Sequence[str], *, lock: bool
) -> dict[str, asyncpg.Record]:
    """The stored depots with these codes; with ``lock``, row-locked in id order."""
    if not codes:
        return {}
    if lock:
        await bulkwrite.execute(
            session,
            "SELECT 1 FROM logistics.depot WHERE code = ANY($1::text[]) ORDER BY id FOR UPDATE",
            sorted(set(codes)),
        )
    rows = await bulkwrite.fetch(
        session, _SELECT + " WHERE d.code = ANY($1::text[])", sorted(set(codes))
    )
    return {row["code"]: row for row in rows}


@dataclass(frozen=True)
class DepotFilter:
    carrier_id: int | None = None  # operated by, or working out of
    prefix: str = ""
    kind: str | None = None
    after: str | None = None  # keyset: the last code served
    limit: int = 50


async def list_rows(session: AsyncSession, where: DepotFilter) -> list[asyncpg.Record]:
    clauses, args = (
        ["d.code > coalesce($1, '')", "d.division_code LIKE $2 || '%'"],
        [
            where.after,
            where.prefix,
        ],
    )
    if where.kind is not None:
        args.append(where.kind)
        clauses.append(f"d.kind = ${len(args)}")
    if where.carrier_id is not None:
        args.append(where.carrier_id)
        clauses.append(
            f"(d.operator_carrier_id = ${len(args)} OR EXISTS (SELECT FROM logistics.depot_carrier"
            f" c WHERE c.depot_id = d.id AND c.carrier_id = ${len(args)}))"
        )
    args.append(where.limit + 1)
    return await bulkwrite.fetch(
        session,
        _SELECT + " WHERE " + " AND ".join(clauses) + f" ORDER BY d.code LIMIT ${len(args)}",
        *args,
    )


async def new_ids(session: AsyncSession, count: int) -> list[int]:
    return await bulkwrite.next_ids(session, "logistics.depot_id_seq", count)


def _arrays(states: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return (
        [list(column) for column in zip(*states, strict=True)] if states else [[] for _ in _TYPES]
    )


async def insert(
    session: AsyncSession,
    ids: Sequence[int],
    codes: Sequence[str],
    states: Sequence[Sequence[Any]],
    by: str,
    at: datetime,
) -> None:
    if not ids:
        return
    unnest = ", ".join(f"${i + 3}::{t}[]" for i, t in enumerate(_TYPES))
    await bulkwrite.execute(
        session,
        f"""
        INSERT INTO logistics.depot (id, code, kind, name, division_code, station_code, location,
            address, area_m2, parcels_per_day, operator_carrier_id, operator_name,
            operator_credit_code, status, version, updated_by, updated_at)
        SELECT u.id, u.code, u.kind, u.name, u.division_code, u.station_code,
               CASE WHEN u.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) END,
               u.address, u.area_m2, u.parcels_per_day, u.operator_carrier_id, u.operator_name,
               u.operator_credit_code, u.status, 1, ${len(_TYPES) + 3}, ${len(_TYPES) + 4}
        FROM unnest($1::bigint[], $2::text[], {unnest}) AS u(id, code, {", ".join(STATE_COLUMNS)})
        """,
        list(ids),
        list(codes),
        *_arrays(states),
        by,
        at,
    )


async def replace(
    session: AsyncSession,
    ids: Sequence[int],
    states: Sequence[Sequence[Any]],
    by: str,
    at: datetime,
) -> None:
    if not ids:
        return
    unnest = ", ".join(f"${i + 2}::{t}[]" for i, t in enumerate(_TYPES))
    await bulkwrite.execute(
        session,
        f"""
        UPDATE logistics.depot AS d
        SET kind = u.kind, name = u.name, division_code = u.division_code,
            station_code = u.station_code,
            location = CASE WHEN u.lon IS NOT NULL
                            THEN ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) END,
            address = u.address, area_m2 = u.area_m2, parcels_per_day = u.parcels_per_day,
            operator_carrier_id = u.operator_carrier_id, operator_name = u.operator_name,
            operator_credit_code = u.operator_credit_code, status = u.status,
            version = d.version + 1, updated_by = ${len(_TYPES) + 2}, updated_at = ${len(_TYPES) + 3}
        FROM unnest($1::bigint[], {unnest}) AS u(id, {", ".join(STATE_COLUMNS)})
        WHERE d.id = u.id
        """,
        list(ids),
        *_arrays(states),
        by,
        at,
    )


async def set_carriers(
    session: AsyncSession, depot_ids: Sequence[int], carriers: Sequence[Sequence[int]]
) -> None:
    if not depot_ids:
        return
    await bulkwrite.execute(
        session,
        "DELETE FROM logistics.depot_carrier WHERE depot_id = ANY($1::bigint[])",
        list(depot_ids),
    )
    pairs = [(d, c) for d, cs in zip(depot_ids, carriers, strict=True) for c in cs]
    await bulkwrite.execute(
        session,
        "INSERT INTO logistics.depot_carrier (depot_id, carrier_id)"
        " SELECT * FROM unnest($1::bigint[], $2::bigint[])",
        [d for d, _ in pairs],
        [c for _, c in pairs],
    )


async def record_events(
    session: AsyncSession, codes: Sequence[str], actions: Sequence[str]
) -> None:
    if not codes:
        return
    await bulkwrite.execute(
        session,
        f"""
        INSERT INTO logistics.change_event (topic, key, action, version, payload)
        SELECT 'depot', d.code, a.action, d.version,
               jsonb_build_object(
                   'code', d.code, 'kind', d.kind, 'name', d.name,
                   'division_code', d.division_code, 'station_code', d.station_code,
                   'lon', d.lon, 'lat', d.lat, 'operator_carrier', d.operator_carrier,
                   'operator_name', d.operator_name, 'carriers', to_jsonb(d.carriers),
                   'area_m2', d.area_m2::text, 'parcels_per_day', d.parcels_per_day,
                   'status', d.status)
        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS a(code, action, n)
        JOIN ({_SELECT}) d ON d.code = a.code
        ORDER BY a.n
        """,
        list(codes),
        list(actions),
    )


async def transaction_now(session: AsyncSession) -> datetime:
    return await session.scalar(select(func.now()))  # type: ignore[return-value]
