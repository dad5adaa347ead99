"""Logistics indicators as SQL: every figure is counted by PostgreSQL, never in Python.

The definitions, and the seed rule each comes from, are in
docs/adr/0022-logistics-indicators.md. In short:
- places counted are current reference divisions only (``until_edition IS NULL``):
  townships of class town / township / township_like (never 街道), village committees;
- a coverage period counts on ``:as_of`` when it is not superseded and
  ``valid_from <= :as_of <= valid_to`` (or open);
- a township is reached by a carrier that covers it or any of its villages;
- a village point is reached when a carrier covers its village; the points counted are
  village points operating or accepted (the station projection);
- depots count while active; two or more carriers in a depot is shared delivery.

Statements come as (scoped, nation) pairs (``common.divisionscope.variants``) and are module
constants so the benchmark runs exactly this SQL through raw asyncpg.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import Row, TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import RawStatement
from common.divisionscope import Scope, variants
from services.logistics.reference.models import LogisticsDivision

TOWNSHIP_CLASSES = "('town', 'township', 'township_like')"
ACTIVE_POINTS = "('operating', 'accepted')"


def _scoped(*columns: str) -> tuple[dict[str, str], dict[str, str]]:
    names = {f"{c.split('.')[0]}_scope": f"{c} BETWEEN :lo AND :hi" for c in columns}
    return names, dict.fromkeys(names, "TRUE")


_VALID = """c.superseded_at IS NULL AND c.valid_from <= :as_of
    AND (c.valid_to IS NULL OR c.valid_to >= :as_of)"""

_COVERAGE = f"""
WITH cov AS MATERIALIZED (
    SELECT c.carrier_id, c.division_code, c.mode, c.deliveries_per_week
    FROM logistics.coverage c
    WHERE {_VALID} AND {{c_scope}}
),
reach AS (
    SELECT left(division_code, 9) || '000' AS township,
           count(DISTINCT carrier_id) AS carriers,
           bool_or(deliveries_per_week >= :deliveries) AS frequent
    FROM cov GROUP BY 1
),
hubs AS (
    SELECT DISTINCT h.division_code FROM logistics.depot h
    WHERE h.kind = 'township_hub' AND h.status = 'active' AND {{h_scope}}
),
townships AS (
    SELECT d.code, coalesce(r.carriers, 0) AS carriers, coalesce(r.frequent, false) AS frequent,
           d.code IN (SELECT division_code FROM hubs) AS hub
    FROM logistics.reference_division d LEFT JOIN reach r ON r.township = d.code
    WHERE d.until_edition IS NULL AND d.level = 'township'
      AND d.division_class IN {TOWNSHIP_CLASSES} AND {{d_scope}}
),
points AS (
    SELECT p.code, p.division_code FROM logistics.station_point p
    WHERE p.tier = 'village' AND p.status IN {ACTIVE_POINTS} AND {{p_scope}}
),
point_modes AS (
    SELECT p.code, array_agg(DISTINCT c.mode) AS modes
    FROM points p JOIN cov c ON c.division_code = p.division_code
    GROUP BY p.code
),
depots AS (
    SELECT e.kind, (SELECT count(*) FROM logistics.depot_carrier x WHERE x.depot_id = e.id)
               AS carriers
    FROM logistics.depot e
    WHERE e.status = 'active' AND {{e_scope}}
)
SELECT
    (SELECT count(*) FROM townships) AS townships,
    (SELECT count(*) FROM townships WHERE carriers > 0) AS townships_reached,
    (SELECT count(*) FROM townships WHERE frequent) AS townships_frequent,
    (SELECT count(*) FROM townships WHERE hub) AS townships_with_hub,
    (SELECT coalesce(sum(carriers), 0) FROM townships) AS township_carriers,
    (SELECT jsonb_build_object(
         '0', count(*) FILTER (WHERE carriers = 0), '1', count(*) FILTER (WHERE carriers = 1),
         '2', count(*) FILTER (WHERE carriers = 2), '3+', count(*) FILTER (WHERE carriers >= 3))
     FROM townships) AS carriers_distribution,
    (SELECT count(*) FROM points) AS points,
    (SELECT count(*) FROM point_modes) AS points_reached,
    (SELECT coalesce(jsonb_object_agg(mode, n), '{{{{}}}}'::jsonb)
     FROM (SELECT unnest(modes) AS mode, count(*) AS n FROM point_modes GROUP BY 1) m)
        AS points_by_mode,
    (SELECT coalesce(jsonb_object_agg(kind, n), '{{{{}}}}'::jsonb)
     FROM (SELECT kind, count(*) AS n FROM depots GROUP BY kind) k) AS depots_by_kind,
    (SELECT count(*) FROM depots) AS depots,
    (SELECT count(*) FROM depots WHERE carriers >= 2) AS shared_depots{{division_columns}}
{{division_join}}
"""
_coverage_scoped, _coverage_nation = _scoped(
    "c.division_code", "h.division_code", "d.code", "p.division_code", "e.division_code"
)
# The division itself (its code is :lo), read in the same statement as its figures: one
# round trip for the whole answer.
COVERAGE = variants(
    _COVERAGE,
    _coverage_scoped
    | {
        "division_columns": ",\n    named.name AS division_name, named.level AS division_level",
        "division_join": "FROM (SELECT 1) AS one"
        " LEFT JOIN logistics.reference_division named ON named.code = :lo",
    },
    _coverage_nation | {"division_columns": "", "division_join": ""},
)

# Volumes are summed per month (China-time days, as sent), laid on every month of the
# range; ROLLUP adds the total as a last row (month NULL). The rows are summed by day first
# and the days by month: ``date_trunc`` (a date made a timestamptz and back) then runs once
# a day, not once a row (a county's year is ~75,000 rows: 10–15 % of the statement's time).
VOLUMES = variants(
    """
WITH days AS (
    SELECT v.day, count(*) AS rows,
           sum(v.outbound_parcels) AS outbound_parcels,
           sum(v.outbound_weight_kg) AS outbound_weight_kg,
           sum(v.inbound_parcels) AS inbound_parcels,
           sum(v.inbound_weight_kg) AS inbound_weight_kg
    FROM logistics.parcel_volume v
    WHERE v.day >= :first AND v.day < :after_last AND {v_scope}
    GROUP BY 1
),
sums AS (
    SELECT date_trunc('month', d.day)::date AS month, sum(d.rows) AS rows,
           sum(d.outbound_parcels) AS outbound_parcels,
           sum(d.outbound_weight_kg) AS outbound_weight_kg,
           sum(d.inbound_parcels) AS inbound_parcels,
           sum(d.inbound_weight_kg) AS inbound_weight_kg
    FROM days d
    GROUP BY 1
)
SELECT m.month::date AS month,
       coalesce(sum(x.rows), 0)::bigint AS rows,
       coalesce(sum(x.outbound_parcels), 0)::bigint AS outbound_parcels,
       coalesce(sum(x.outbound_weight_kg), 0)::numeric(16, 1) AS outbound_weight_kg,
       coalesce(sum(x.inbound_parcels), 0)::bigint AS inbound_parcels,
       coalesce(sum(x.inbound_weight_kg), 0)::numeric(16, 1) AS inbound_weight_kg
FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') AS m(month)
LEFT JOIN sums x ON x.month = m.month
GROUP BY ROLLUP (m.month)
ORDER BY m.month NULLS LAST
""",
    *_scoped("v.division_code"),
)

_TOWNSHIP_GAPS = f"""
SELECT d.code, d.name, d.parent_code, p.name AS parent_name
FROM logistics.reference_division d
LEFT JOIN logistics.reference_division p ON p.code = d.parent_code
WHERE d.until_edition IS NULL AND d.level = 'township'
  AND d.division_class IN {TOWNSHIP_CLASSES} AND {{d_scope}}
  AND d.code > :after
  AND NOT EXISTS (
      SELECT 1 FROM logistics.coverage c
      WHERE c.division_code BETWEEN d.code AND left(d.code, 9) || '999' AND {_VALID}
  )
ORDER BY d.code
LIMIT :limit
"""
_POINT_GAPS = f"""
SELECT s.code, s.name, s.status, s.division_code, v.name AS village_name
FROM logistics.station_point s
LEFT JOIN logistics.reference_division v ON v.code = s.division_code
WHERE s.tier = 'village' AND s.status IN {ACTIVE_POINTS} AND {{s_scope}}
  AND s.code > :after
  AND NOT EXISTS (
      SELECT 1 FROM logistics.coverage c WHERE c.division_code = s.division_code AND {_VALID}
  )
ORDER BY s.code
LIMIT :limit
"""
# A division's page and whether the division is there, in one round trip: one row with
# ``division_found`` false when it is not; a row of NULLs beside it true when it has no gap.
_OF_DIVISION = """
SELECT named.code IS NOT NULL AS division_found, g.*
FROM (SELECT 1) AS one
LEFT JOIN logistics.reference_division named ON named.code = :lo
LEFT JOIN LATERAL ({gaps}) AS g ON TRUE
ORDER BY g.code
"""


def _gaps(template: str, column: str) -> dict[bool, TextClause]:
    scoped, nation = _scoped(column)
    return {
        False: text(_OF_DIVISION.format(gaps=template.format(**scoped))),
        True: text(template.format(**nation)),
    }


GAPS = {
    "townships-without-courier": _gaps(_TOWNSHIP_GAPS, "d.code"),
    "points-without-carrier": _gaps(_POINT_GAPS, "s.division_code"),
}

_division = LogisticsDivision.__table__
DIVISION = select(_division.c.code, _division.c.name, _division.c.level).where(
    _division.c.code == bindparam("code")
)


# The coverage indicators, the gap lists and what a report document reads (coverage and
# volumes) run on the pool's asyncpg connection (``common.db.read_connection``, ADR 0051).
_DIVISION = RawStatement(DIVISION)
_COVERAGE_RAW = {nation: RawStatement(statement) for nation, statement in COVERAGE.items()}
_VOLUMES_RAW = {nation: RawStatement(statement) for nation, statement in VOLUMES.items()}
_GAPS = {
    kind: {nation: RawStatement(statement) for nation, statement in pair.items()}
    for kind, pair in GAPS.items()
}


async def division(db: AsyncSession | asyncpg.Connection, code: str) -> Mapping[str, Any] | None:
    """A division's code, name and level, on a session or a hot read's connection."""
    if isinstance(db, AsyncSession):
        return (await db.execute(DIVISION, {"code": code})).mappings().first()
    return await _DIVISION.fetchrow(db, code=code)


async def coverage(
    conn: asyncpg.Connection, scope: Scope, *, as_of: date, deliveries: int
) -> Mapping[str, Any]:
    params = scope.params() | {"as_of": as_of, "deliveries": deliveries}
    row = await _COVERAGE_RAW[scope.nation].fetchrow(conn, **params)
    if row is None:
        raise RuntimeError("the coverage statement answers one row")
    return row


async def volumes(
    db: AsyncSession | asyncpg.Connection,
    scope: Scope,
    *,
    first: date,
    last: date,
    after_last: date,
) -> Sequence[Mapping[str, Any]]:
    params = scope.params() | {"first": first, "last": last, "after_last": after_last}
    if isinstance(db, AsyncSession):
        return (await db.execute(VOLUMES[scope.nation], params)).mappings().all()
    return await _VOLUMES_RAW[scope.nation].fetch(db, **params)


async def gaps(
    conn: asyncpg.Connection, scope: Scope, kind: str, *, as_of: date, after: str, limit: int
) -> Sequence[Mapping[str, Any]] | None:
    """A page of gaps of the division, in one statement; None when there is no such
    division."""
    params = scope.params() | {"as_of": as_of, "after": after, "limit": limit}
    rows = await _GAPS[kind][scope.nation].fetch(conn, **params)
    if scope.nation:
        return rows
    if not rows[0]["division_found"]:
        return None
    return [r for r in rows if r["code"] is not None]


# Carriers reaching each place of a batch on :as_of: a village by coverage of the village; a
# township by coverage of the township or any of its villages, as the township gap list
# counts it. A range with computed bounds keeps the coverage index in use for both.
PLACES = text(
    f"""
SELECT p.code, (
    SELECT count(DISTINCT c.carrier_id) FROM logistics.coverage c
    WHERE c.division_code BETWEEN p.code
          AND CASE WHEN right(p.code, 3) = '000' THEN left(p.code, 9) || '999' ELSE p.code END
      AND {_VALID}
) AS carriers
FROM unnest(CAST(:codes AS text[])) AS p(code)
ORDER BY p.code
"""
)


async def places(session: AsyncSession, codes: list[str], as_of: date) -> Sequence[Row[Any]]:
    return (await session.execute(PLACES, {"codes": codes, "as_of": as_of})).all()
