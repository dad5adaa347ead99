"""Writes of the station projection, on the feed consumer's connection (asyncpg)."""

from collections.abc import Sequence

import asyncpg

from services.logistics.points.schemas import StationEventPayload

# Idempotent by version (ADR 0002): an event older than what is stored changes nothing, so a
# page read twice, or two events of one station in either order, leave the newest state.
_UPSERT = """
INSERT INTO logistics.station_point AS p
    (code, tier, name, division_code, status, location, operating_since, version, updated_at)
SELECT DISTINCT ON (code) code, tier, name, division_code, status,
       CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END,
       operating_since, version, now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
            $6::float8[], $7::float8[], $8::date[], $9::int[])
     AS e(code, tier, name, division_code, status, lon, lat, operating_since, version)
ORDER BY code, version DESC
ON CONFLICT (code) DO UPDATE
SET tier = EXCLUDED.tier, name = EXCLUDED.name, division_code = EXCLUDED.division_code,
    status = EXCLUDED.status, location = EXCLUDED.location,
    operating_since = EXCLUDED.operating_since, version = EXCLUDED.version,
    updated_at = EXCLUDED.updated_at
WHERE p.version < EXCLUDED.version
"""


async def apply_stations(
    conn: asyncpg.Connection, stations: Sequence[tuple[StationEventPayload, int]]
) -> None:
    """Upsert ``(payload, version)`` pairs in one statement."""
    await conn.execute(
        _UPSERT,
        [s.code for s, _ in stations],
        [s.tier for s, _ in stations],
        [s.name for s, _ in stations],
        [s.division_code for s, _ in stations],
        [s.status for s, _ in stations],
        [s.location.lon if s.location else None for s, _ in stations],
        [s.location.lat if s.location else None for s, _ in stations],
        [s.operating_since for s, _ in stations],
        [version for _, version in stations],
    )


# Who reaches a point on a day: carriers covering its village, and carriers covering its
# township (which reach the township only: the point is served from there at best).
REACHING = """
SELECT k.code AS carrier, k.name_zh, k.name_en, c.id AS coverage_id, c.division_code,
       c.station_code, c.mode, c.pickups_per_week, c.deliveries_per_week, c.valid_from,
       c.valid_to, c.division_code = $2 AS village
FROM logistics.coverage c
JOIN logistics.carrier k ON k.id = c.carrier_id
WHERE c.division_code IN ($2, $3)
  AND c.superseded_at IS NULL AND c.valid_from <= $4 AND (c.valid_to IS NULL OR c.valid_to >= $4)
  AND ($1::bigint IS NULL OR c.carrier_id = $1)
ORDER BY village DESC, k.code
"""
