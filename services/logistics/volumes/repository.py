"""Queries of parcel volumes: set-based for uploads (``common.bulkwrite``). Only flush."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common import bulkwrite
from common.pagination import PageParams, keyset
from services.logistics.carriers.models import Carrier
from services.logistics.volumes.models import FIGURES, ParcelVolume, ParcelVolumeRevision

VOLUME_COLUMNS = (
    "id", "carrier_id", "day", "place_code", "station_code", "township_code", "division_code",
    *FIGURES, "revision", "submitted_by", "submitted_at",
)  # fmt: skip
REVISION_COLUMNS = ("volume_id", "revision", *FIGURES, "submitted_by", "submitted_at")


async def lock_carriers(session: AsyncSession, carrier_ids: Sequence[int]) -> None:
    """Volume writers of one carrier take turns (in id order: no deadlock between uploads)."""
    await bulkwrite.execute(
        session,
        "SELECT pg_advisory_xact_lock(hashtextextended('logistics:volume:' || id, 0))"
        " FROM unnest($1::bigint[]) AS id ORDER BY id",
        sorted(set(carrier_ids)),
    )


async def current(
    session: AsyncSession, keys: Sequence[tuple[int, str, date]]
) -> dict[tuple[int, str, date], asyncpg.Record]:
    if not keys:
        return {}
    rows = await bulkwrite.fetch(
        session,
        f"""
        SELECT v.id, v.carrier_id, v.place_code, v.day, v.revision, {", ".join("v." + f for f in FIGURES)}
        FROM (SELECT DISTINCT * FROM unnest($1::bigint[], $2::text[], $3::date[])
              AS k(carrier_id, place_code, day)) k
        JOIN logistics.parcel_volume v
          ON v.carrier_id = k.carrier_id AND v.place_code = k.place_code AND v.day = k.day
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )
    return {(r["carrier_id"], r["place_code"], r["day"]): r for r in rows}


async def station_points(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """The division of each of these station points in the projection."""
    if not codes:
        return {}
    rows = await bulkwrite.fetch(
        session,
        "SELECT code, division_code FROM logistics.station_point WHERE code = ANY($1::text[])",
        sorted(set(codes)),
    )
    return {row["code"]: row["division_code"] for row in rows}


async def new_ids(session: AsyncSession, count: int) -> list[int]:
    return await bulkwrite.next_ids(session, "logistics.parcel_volume_id_seq", count)


async def insert(session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    await bulkwrite.copy_rows(session, "parcel_volume", "logistics", VOLUME_COLUMNS, records)


async def revise(
    session: AsyncSession, records: Sequence[tuple[Any, ...]], by: str, at: datetime
) -> None:
    """New figures for existing rows: (id, revision, *figures) each."""
    if not records:
        return
    columns = list(zip(*records, strict=True))
    await bulkwrite.execute(
        session,
        """
        UPDATE logistics.parcel_volume AS v
        SET revision = u.revision, outbound_parcels = u.op, outbound_weight_kg = u.ow,
            inbound_parcels = u.ip, inbound_weight_kg = u.iw, submitted_by = $7,
            submitted_at = $8
        FROM unnest($1::bigint[], $2::int[], $3::int[], $4::numeric[], $5::int[], $6::numeric[])
             AS u(id, revision, op, ow, ip, iw)
        WHERE v.id = u.id
        """,
        *[list(c) for c in columns],
        by,
        at,
    )


async def add_revisions(session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    await bulkwrite.copy_rows(
        session, "parcel_volume_revision", "logistics", REVISION_COLUMNS, records
    )


async def record_events(session: AsyncSession, ids: Sequence[int], actions: Sequence[str]) -> None:
    if not ids:
        return
    await bulkwrite.execute(
        session,
        """
        INSERT INTO logistics.change_event (topic, key, action, version, payload)
        SELECT 'parcel_volume', k.code || '/' || v.place_code || '/' || v.day, a.action,
               v.revision,
               jsonb_build_object(
                   'id', v.id, 'carrier', k.code, 'day', v.day, 'place_code', v.place_code,
                   'station_code', v.station_code, 'township_code', v.township_code,
                   'division_code', v.division_code,
                   'outbound_parcels', v.outbound_parcels,
                   'outbound_weight_kg', v.outbound_weight_kg::text,
                   'inbound_parcels', v.inbound_parcels,
                   'inbound_weight_kg', v.inbound_weight_kg::text, 'revision', v.revision)
        FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS a(id, action, n)
        JOIN logistics.parcel_volume v ON v.id = a.id
        JOIN logistics.carrier k ON k.id = v.carrier_id
        ORDER BY a.n
        """,
        list(ids),
        list(actions),
    )


async def transaction_now(session: AsyncSession) -> datetime:
    return await session.scalar(select(func.now()))  # type: ignore[return-value]


def _rows() -> Select[tuple[ParcelVolume, str]]:
    return select(ParcelVolume, Carrier.code).join(Carrier, Carrier.id == ParcelVolume.carrier_id)


async def list_rows(
    session: AsyncSession,
    params: PageParams,
    *,
    carrier_id: int | None,
    prefix: str,
    first: date | None,
    last: date | None,
) -> list[tuple[ParcelVolume, str]]:
    stmt = _rows()
    if carrier_id is not None:
        stmt = stmt.where(ParcelVolume.carrier_id == carrier_id)
    if prefix:
        stmt = stmt.where(ParcelVolume.division_code.startswith(prefix, autoescape=True))
    if first is not None:
        stmt = stmt.where(ParcelVolume.day >= first)
    if last is not None:
        stmt = stmt.where(ParcelVolume.day <= last)
    rows = await session.execute(keyset(stmt, [ParcelVolume.id], params))
    return [(v, code) for v, code in rows]


async def row_by_id(session: AsyncSession, volume_id: int) -> tuple[ParcelVolume, str] | None:
    found = (await session.execute(_rows().where(ParcelVolume.id == volume_id))).first()
    return None if found is None else (found[0], found[1])


async def revisions(session: AsyncSession, volume_id: int) -> list[ParcelVolumeRevision]:
    stmt = (
        select(ParcelVolumeRevision)
        .where(ParcelVolumeRevision.volume_id == volume_id)
        .order_by(ParcelVolumeRevision.revision)
    )
    return list(await session.scalars(stmt))
