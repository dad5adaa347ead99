"""The logistics part of the national benchmark database (steps of ``bench.national``).

- ``station_feed``: the stations change feed as the registry would have written it: one
  ``station`` event per lifecycle transition of every station (version n after n
  transitions, the status it reached, the payload ``StationFeedPayload`` carries).
- ``logistics_reference``: logistics' division reference copy and boundaries, as its
  consumer would hold them after loading stations' snapshot (copied in SQL here; the
  snapshot path itself is measured by ``logistics_projection``).
- ``logistics``: the station projection (what consuming the feed leaves), coverage of every
  counted township (1–4 carriers) and of ~70 % of the village points' villages (1–2
  carriers, a fifth of them with a closed earlier period), a county centre in every county
  with stations and hubs in ~30 % of townships, and one year of daily parcel volumes of
  every active village point of Shanxi (14) for one or two carriers.

Draws are hashes of a row's key (``pg_temp.u``, see ``bench.national``): deterministic.
"""

import time
from collections.abc import Awaitable, Callable

import asyncpg

Log = Callable[[str], None]
ACTOR = "bench"
VOLUME_PROVINCE = "14"
VOLUME_FIRST_DAY = "2025-11-01"
VOLUME_LAST_DAY = "2026-10-31"
# Carriers by their catalogue codes, in the order draws pick them.
CARRIERS = ("china_post", "zto", "yto", "sto", "yunda", "jd", "sf", "jt", "best", "ems")

_STATION_FEED = """
DELETE FROM stations.change_event WHERE topic = 'station';
INSERT INTO stations.change_event (txid, topic, key, action, version, payload, occurred_at)
SELECT 1, 'station', s.code,
       CASE WHEN t.n = 1 THEN 'created' ELSE 'transitioned' END, t.n,
       jsonb_build_object(
           'code', s.code, 'tier', s.tier, 'name', s.name,
           'division_code', s.division_code, 'county_code', left(s.division_code, 6) || '000000',
           'township_code', CASE WHEN s.tier <> 'county' THEN left(s.division_code, 9) || '000' END,
           'parent', p.code, 'status', t.to_status,
           'location', CASE WHEN s.location IS NOT NULL THEN
               jsonb_build_object('lon', ST_X(s.location), 'lat', ST_Y(s.location)) END,
           'address', s.address, 'services', to_jsonb(s.services),
           'operating_since', s.operating_since, 'version', t.n),
       t.at
FROM (SELECT station_id, to_status, at,
             row_number() OVER (PARTITION BY station_id ORDER BY id) AS n
      FROM stations.station_transition) t
JOIN stations.station s ON s.id = t.station_id
LEFT JOIN stations.station p ON p.id = s.parent_id
ORDER BY t.at, s.id, t.n;
"""

_REFERENCE = """
TRUNCATE logistics.reference_division, logistics.reference_county_boundary;
INSERT INTO logistics.reference_division
SELECT d.code, d.name, d.level, d.division_class, d.parent_code, d.since_edition,
       d.until_edition, coalesce(f.poverty_county, false), coalesce(f.poor_village, false),
       f.demonstration_year, coalesce(f.version, 0)
FROM stations.division d LEFT JOIN stations.division_flag f ON f.code = d.code;
INSERT INTO logistics.reference_county_boundary SELECT county_code, geom
FROM stations.county_boundary;
"""

_CARRIER_PICK = "(ARRAY['" + "','".join(CARRIERS) + "'])[1 + floor(pg_temp.u({key}) * {n})::int]"

_LOGISTICS = f"""
TRUNCATE logistics.station_point, logistics.coverage, logistics.depot_carrier,
         logistics.depot, logistics.parcel_volume_revision, logistics.parcel_volume,
         logistics.change_event, logistics.feed_cursor RESTART IDENTITY;

INSERT INTO logistics.station_point
    (code, tier, name, division_code, status, location, operating_since, version)
SELECT code, tier, name, division_code, status, location, operating_since, version
FROM stations.station;

CREATE TEMP TABLE bench_carrier ON COMMIT DROP AS
SELECT code, id FROM logistics.carrier;

-- Townships the indicators count, each with 1–4 carriers (the postal service first).
INSERT INTO logistics.coverage (carrier_id, division_code, mode, pickups_per_week,
    deliveries_per_week, valid_from, source, recorded_by, recorded_at, version)
SELECT c.id, d.code, 'via_township_hub', 3 + (k % 4), 5 + (k % 3),
       date '2024-01-01' + (floor(pg_temp.u(d.code || ':from') * 600))::int,
       'carrier_upload', '{ACTOR}', now(), 1
FROM logistics.reference_division d
CROSS JOIN LATERAL generate_series(1, 1 + floor(pg_temp.u(d.code || ':n') * 4)::int) AS k
JOIN bench_carrier c ON c.code = (ARRAY['{"','".join(CARRIERS)}'])[k]
WHERE d.level = 'township' AND d.until_edition IS NULL
  AND d.division_class IN ('town', 'township', 'township_like');

-- ~70 % of the village points' villages, 1–2 carriers; a fifth with an earlier closed period.
CREATE TEMP TABLE bench_village_cov ON COMMIT DROP AS
SELECT DISTINCT p.division_code, k,
       {_CARRIER_PICK.format(key="p.division_code || ':c' || k", n=len(CARRIERS))} AS carrier,
       date '2025-01-01' + (floor(pg_temp.u(p.division_code || ':f' || k) * 500))::int AS since,
       pg_temp.u(p.division_code || ':old' || k) < 0.2 AS had_earlier
FROM logistics.station_point p
CROSS JOIN LATERAL generate_series(1, 1 + floor(pg_temp.u(p.division_code || ':k') * 2)::int) k
WHERE p.tier = 'village' AND pg_temp.u(p.division_code || ':cov') < 0.7;

INSERT INTO logistics.coverage (carrier_id, division_code, station_code, mode, pickups_per_week,
    deliveries_per_week, valid_from, valid_to, source, recorded_by, recorded_at, version)
SELECT c.id, v.division_code, NULL, 'via_township_hub', 1, 2, v.since - 365, v.since - 1,
       'carrier_upload', '{ACTOR}', now(), 2
FROM (SELECT DISTINCT ON (division_code, carrier) * FROM bench_village_cov
      ORDER BY division_code, carrier, k) v
JOIN bench_carrier c ON c.code = v.carrier
WHERE v.had_earlier;

INSERT INTO logistics.coverage (carrier_id, division_code, station_code, mode, pickups_per_week,
    deliveries_per_week, valid_from, source, recorded_by, recorded_at, version)
SELECT c.id, v.division_code, NULL,
       (ARRAY['direct', 'via_township_hub', 'station_runs', 'postal'])[
           1 + floor(pg_temp.u(v.division_code || v.carrier || ':m') * 4)::int],
       2 + floor(pg_temp.u(v.division_code || v.carrier || ':p') * 5)::int,
       2 + floor(pg_temp.u(v.division_code || v.carrier || ':d') * 6)::int,
       v.since, 'carrier_upload', '{ACTOR}', now(), 1
FROM (SELECT DISTINCT ON (division_code, carrier) * FROM bench_village_cov
      ORDER BY division_code, carrier, k) v
JOIN bench_carrier c ON c.code = v.carrier;

-- A county centre in every county with stations (shared by 2–5 carriers), hubs in ~30 % of
-- the counted townships (one carrier each).
INSERT INTO logistics.depot (code, kind, name, division_code, location, area_m2,
    parcels_per_day, operator_name, status, version, updated_by)
SELECT 'CC-' || left(s.division_code, 6), 'county_centre', '县级物流配送中心',
       left(s.division_code, 6) || '000000', s.location, 2000, 10000, '县供销物流', 'active', 1,
       '{ACTOR}'
FROM stations.station s WHERE s.tier = 'county';

INSERT INTO logistics.depot_carrier (depot_id, carrier_id)
SELECT d.id, c.id FROM logistics.depot d
CROSS JOIN LATERAL generate_series(1, 2 + floor(pg_temp.u(d.code) * 4)::int) AS k
JOIN bench_carrier c ON c.code = (ARRAY['{"','".join(CARRIERS)}'])[k];

INSERT INTO logistics.depot (code, kind, name, division_code, parcels_per_day,
    operator_carrier_id, status, version, updated_by)
SELECT 'TH-' || left(d.code, 9), 'township_hub', d.name || '网点', d.code, 800,
       c.id, 'active', 1, '{ACTOR}'
FROM logistics.reference_division d
JOIN bench_carrier c ON c.code = {_CARRIER_PICK.format(key="d.code || ':hub'", n=5)}
WHERE d.level = 'township' AND d.until_edition IS NULL
  AND d.division_class IN ('town', 'township', 'township_like')
  AND pg_temp.u(d.code || ':has_hub') < 0.3;

INSERT INTO logistics.depot_carrier (depot_id, carrier_id)
SELECT id, operator_carrier_id FROM logistics.depot WHERE kind = 'township_hub';

-- A year of daily volumes at every active village point of one province, 1–2 carriers.
INSERT INTO logistics.parcel_volume (carrier_id, day, place_code, station_code,
    division_code, outbound_parcels, outbound_weight_kg, inbound_parcels, inbound_weight_kg,
    revision, submitted_by, submitted_at)
SELECT c.id, day::date, p.code, p.code, p.division_code, o, o * 2.5, i, i * 1.5, 1,
       '{ACTOR}', now()
FROM logistics.station_point p
CROSS JOIN LATERAL generate_series(1, 1 + floor(pg_temp.u(p.code || ':vk') * 2)::int) AS k
JOIN bench_carrier c ON c.code = (ARRAY['china_post', 'zto'])[k]
CROSS JOIN generate_series(date '{VOLUME_FIRST_DAY}', date '{VOLUME_LAST_DAY}', interval '1 day') day
CROSS JOIN LATERAL (SELECT floor(pg_temp.u(p.code || k || day::text) * 40)::int AS o,
                           floor(pg_temp.u(p.code || k || day::text || 'i') * 120)::int AS i) f
WHERE p.tier = 'village' AND p.status IN ('operating', 'accepted')
  AND p.code LIKE '{VOLUME_PROVINCE}%';
"""


async def _run(conn: asyncpg.Connection, log: Log, sql: str) -> None:
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(sql)
    log(f"  {time.perf_counter() - started:.1f} s")


async def station_feed(conn: asyncpg.Connection, log: Log) -> None:
    await _run(conn, log, _STATION_FEED)


async def logistics_reference(conn: asyncpg.Connection, log: Log) -> None:
    await _run(conn, log, _REFERENCE)


async def logistics(conn: asyncpg.Connection, log: Log) -> None:
    await _run(conn, log, _LOGISTICS)


Step = Callable[[asyncpg.Connection, Log], Awaitable[None]]
STEPS: dict[str, Step] = {
    "station_feed": station_feed,
    "logistics_reference": logistics_reference,
    "logistics": logistics,
}
STEP_VERSIONS = {"station_feed": 1, "logistics_reference": 1, "logistics": 1}
DEPENDS_ON = {
    "station_feed": ("stations",),
    "logistics_reference": ("divisions", "boundaries", "flags"),
    "logistics": ("stations", "logistics_reference"),
}
VACUUM = (
    "logistics.reference_division",
    "logistics.reference_county_boundary",
    "logistics.station_point",
    "logistics.coverage",
    "logistics.depot",
    "logistics.depot_carrier",
    "logistics.parcel_volume",
    "stations.change_event",
)
COUNTS = {
    "station feed events": "SELECT count(*) FROM stations.change_event WHERE topic = 'station'",
    "coverage periods": "SELECT count(*) FROM logistics.coverage",
    "depots": "SELECT count(*) FROM logistics.depot",
    "parcel volume rows": "SELECT count(*) FROM logistics.parcel_volume",
}
