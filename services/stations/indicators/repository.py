"""Network indicators as SQL: every figure is counted by PostgreSQL, never in Python.

A division scope is a code range, ``code BETWEEN '<prefix>000…' AND '<prefix>999…'``, which
the primary key (``division.code``, collation C) and ``ix_station_division_code`` answer as
index range scans. The nation has its own statements without that predicate rather than
the range 000000000000–999999999999, so a cached generic plan made for counties is never
used for the whole country, nor the reverse.

Definitions (DESIGN.md, "Indicators"):
- only current divisions (``until_edition IS NULL``) count in denominators;
- townships are 镇, 乡 and township-like units (class town / township / township_like),
  never 街道 sub-districts; village committees are class village_committee (seq 200–399);
- a division is covered by a station of its own tier (the tier names equal the level
  names ``township`` and ``village``) that is operating or accepted;
- a registered poor village is a village committee flagged ``poor_village``;
- a station should report for a month when it is operating or accepted and began
  operating no later than that month.

The statements are module constants (``NETWORK``, ``REPORTING`` …) so benchmarks can run
exactly this SQL through raw asyncpg: ``common.db.compile_for_asyncpg`` gives the ``$n`` form.
``NETWORK`` for a division also answers the division's name and level (NULL when there is
no such division), so the network indicators cost one round trip; the other statements
take a division ``DIVISION`` has found.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import RowMapping, TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import RawStatement
from common.divisionscope import Scope
from common.identifiers import DivisionClass
from services.stations.divisions.models import Division
from services.stations.registry.models import ACTIVE_STATUSES


def _sql_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


ACTIVE = _sql_list(ACTIVE_STATUSES)
# The units policy targets count: 镇, 乡 and township-like units, never 街道 sub-districts;
# village committees (村委会, seq 200–399), never residents' committees.
TOWNSHIP_CLASSES = _sql_list(
    (DivisionClass.TOWN, DivisionClass.TOWNSHIP, DivisionClass.TOWNSHIP_LIKE)
)
VILLAGE_CLASSES = _sql_list((DivisionClass.VILLAGE_COMMITTEE,))


def _variants(template: str, **extra: str) -> dict[bool, TextClause]:
    """The statement for a scoped division (False) and for the nation (True)."""
    scoped = {
        "d_scope": "d.code BETWEEN :lo AND :hi",
        "s_scope": "s.division_code BETWEEN :lo AND :hi",
        "f_scope": "f.code BETWEEN :lo AND :hi",
        "station_join": "JOIN stations.station s ON s.id = r.station_id",
        # The division itself (its code is :lo), read in the same statement as its figures.
        "division_join": " LEFT JOIN stations.division named ON named.code = :lo",
        "division_columns": ",\n    named.name AS division_name, named.level AS division_level",
    }
    nation = {
        "d_scope": "TRUE",
        "s_scope": "TRUE",
        "f_scope": "TRUE",
        "station_join": "",
        "division_join": "",
        "division_columns": "",
    }
    return {
        False: text(template.format(**scoped, **extra)),
        True: text(template.format(**nation, **extra)),
    }


# Which stations should report for :month (see above), one rule for the rate, the network
# indicators and the overdue list.
_EXPECTED_TO_REPORT = f"""s.status IN {ACTIVE}
  AND (s.operating_since IS NULL OR s.operating_since < :next_month)"""
_REPORTING = f"""
SELECT count(*) AS expected, count(r.station_id) AS reported
FROM stations.station s
LEFT JOIN stations.monthly_report r ON r.station_id = s.id AND r.month = :month
WHERE {_EXPECTED_TO_REPORT}
  AND {{s_scope}}
"""

# Coverage tests each unit against hashed sets (``code IN (SELECT …)`` becomes a hashed
# SubPlan built once): as fast as a hash join for the nation and, unlike a join, never turned
# into a nested loop when the planner underestimates a small code range. ``OFFSET 0`` keeps
# the inner query whole so each set is hashed once, not once per FILTER that reads it.
NETWORK = _variants(
    f"""
WITH counts AS (
    SELECT s.tier, s.status, count(*) AS n
    FROM stations.station s
    WHERE {{s_scope}}
    GROUP BY s.tier, s.status
),
units AS (
    SELECT
        d.level,
        CASE d.level
            WHEN 'township' THEN d.code IN (
                SELECT s.division_code FROM stations.station s
                WHERE s.tier = 'township' AND s.status IN {ACTIVE} AND {{s_scope}}
            )
            ELSE d.code IN (
                SELECT s.division_code FROM stations.station s
                WHERE s.tier = 'village' AND s.status IN {ACTIVE} AND {{s_scope}}
            )
        END AS covered,
        d.level = 'village' AND d.code IN (
            SELECT f.code FROM stations.division_flag f WHERE f.poor_village AND {{f_scope}}
        ) AS poor
    FROM stations.division d
    WHERE d.until_edition IS NULL AND {{d_scope}}
      AND ((d.level = 'township' AND d.division_class IN {TOWNSHIP_CLASSES})
        OR (d.level = 'village' AND d.division_class IN {VILLAGE_CLASSES}))
    OFFSET 0
),
coverage AS (
    SELECT
        count(*) FILTER (WHERE level = 'township') AS townships,
        count(*) FILTER (WHERE level = 'township' AND covered) AS townships_covered,
        count(*) FILTER (WHERE level = 'village') AS villages,
        count(*) FILTER (WHERE level = 'village' AND covered) AS villages_covered,
        count(*) FILTER (WHERE poor) AS poor_villages,
        count(*) FILTER (WHERE poor AND covered) AS poor_villages_covered
    FROM units
),
reporting AS ({_REPORTING})
SELECT
    (SELECT coalesce(jsonb_agg(jsonb_build_array(tier, status, n)), '[]'::jsonb) FROM counts)
        AS station_counts,
    coverage.*,
    reporting.*{{division_columns}}
FROM coverage, reporting{{division_join}}
"""
)

REPORTING = _variants(_REPORTING)

OVERDUE = _variants(
    f"""
SELECT s.code, s.name, s.tier, s.status, s.division_code, s.operating_since,
       (SELECT max(r.month) FROM stations.monthly_report r WHERE r.station_id = s.id)
           AS last_reported_month
FROM stations.station s
WHERE {_EXPECTED_TO_REPORT}
  AND {{s_scope}}
  AND s.code > :after
  AND NOT EXISTS (
      SELECT 1 FROM stations.monthly_report r WHERE r.station_id = s.id AND r.month = :month
  )
ORDER BY s.code
LIMIT :limit
"""
)

# Sales count every report of the months asked, whatever the station's status is now:
# what a since-closed station sold was sold. Reports are summed per month first (a parallel
# aggregate over the month index), then laid on every month of the range; ROLLUP adds the
# total as a last row (month NULL).
SALES = _variants(
    """
WITH sums AS (
    SELECT
        r.month,
        count(*) AS reports,
        sum(r.upward_amount) AS upward_amount,
        sum(r.upward_orders) AS upward_orders,
        sum(r.downward_amount) AS downward_amount,
        sum(r.downward_orders) AS downward_orders,
        sum(r.parcels_in) AS parcels_in,
        sum(r.parcels_out) AS parcels_out,
        sum(r.households_served) AS households_served,
        sum(r.poor_households_served) AS poor_households_served
    FROM stations.monthly_report r
    {station_join}
    WHERE r.month BETWEEN :first AND :last AND {s_scope}
    GROUP BY r.month
)
SELECT
    m.month::date AS month,
    coalesce(sum(x.reports), 0)::bigint AS reports,
    coalesce(sum(x.upward_amount), 0.00) AS upward_amount,
    coalesce(sum(x.upward_orders), 0)::bigint AS upward_orders,
    coalesce(sum(x.downward_amount), 0.00) AS downward_amount,
    coalesce(sum(x.downward_orders), 0)::bigint AS downward_orders,
    coalesce(sum(x.parcels_in), 0)::bigint AS parcels_in,
    coalesce(sum(x.parcels_out), 0)::bigint AS parcels_out,
    coalesce(sum(x.households_served), 0)::bigint AS households_served,
    coalesce(sum(x.poor_households_served), 0)::bigint AS poor_households_served
FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') AS m(month)
LEFT JOIN sums x ON x.month = m.month
GROUP BY ROLLUP (m.month)
ORDER BY m.month NULLS LAST
"""
)

_GAP = """
SELECT d.code, d.name, d.division_class, d.parent_code, p.name AS parent_name,
       pending.code AS station_code, pending.status AS station_status
FROM stations.division d
{poor_join}
LEFT JOIN stations.division p ON p.code = d.parent_code
LEFT JOIN LATERAL (
    SELECT s.code, s.status
    FROM stations.station s
    WHERE s.division_code = d.code AND s.tier = '{tier}' AND s.status <> 'closed'
    ORDER BY s.id DESC
    LIMIT 1
) pending ON TRUE
WHERE d.until_edition IS NULL
  AND d.level = '{tier}' AND d.division_class IN {classes}
  AND {d_scope}
  AND d.code > :after
  AND NOT EXISTS (
      SELECT 1 FROM stations.station s
      WHERE s.division_code = d.code AND s.tier = '{tier}' AND s.status IN {active}
  )
ORDER BY d.code
LIMIT :limit
"""

_POOR_JOIN = "JOIN stations.division_flag f ON f.code = d.code AND f.poor_village"

# Gap lists: the units a policy target counts that no operating or accepted station covers,
# each with the planned/building/suspended station it may already have.
GAPS = {
    kind: _variants(_GAP, tier=tier, classes=classes, poor_join=poor_join, active=ACTIVE)
    for kind, tier, classes, poor_join in (
        ("townships", "township", TOWNSHIP_CLASSES, ""),
        ("villages", "village", VILLAGE_CLASSES, ""),
        ("poor_villages", "village", VILLAGE_CLASSES, _POOR_JOIN),
    )
}


# A division's code, name and level: a Core statement made once (no ORM entity to load).
_division = Division.__table__
DIVISION = select(_division.c.code, _division.c.name, _division.c.level).where(
    _division.c.code == bindparam("code")
)


# The hot reads (a division's network indicators and sales, the pages of a gap list, what a
# report document reads) run on the pool's asyncpg connection (``common.db.read_connection``,
# ADR 0051).
_DIVISION = RawStatement(DIVISION)
_NETWORK = {nation: RawStatement(statement) for nation, statement in NETWORK.items()}
_RATE = {nation: RawStatement(statement) for nation, statement in REPORTING.items()}
_SALES = {nation: RawStatement(statement) for nation, statement in SALES.items()}
_GAPS = {
    kind: {nation: RawStatement(statement) for nation, statement in variants.items()}
    for kind, variants in GAPS.items()
}


async def division(db: AsyncSession | asyncpg.Connection, code: str) -> Mapping[str, Any] | None:
    """A division's code, name and level, on a session or a raw read's connection."""
    if isinstance(db, AsyncSession):
        return (await db.execute(DIVISION, {"code": code})).mappings().first()
    return await _DIVISION.fetchrow(db, code=code)


async def network(
    conn: asyncpg.Connection, scope: Scope, *, month: date, next_month: date
) -> Mapping[str, Any]:
    params = scope.params() | {"month": month, "next_month": next_month}
    row = await _NETWORK[scope.nation].fetchrow(conn, **params)
    if row is None:
        raise RuntimeError("the network statement answers one row")
    return row


async def reporting(
    db: AsyncSession | asyncpg.Connection, scope: Scope, *, month: date, next_month: date
) -> Mapping[str, Any]:
    params = scope.params() | {"month": month, "next_month": next_month}
    if isinstance(db, AsyncSession):
        return (await db.execute(REPORTING[scope.nation], params)).mappings().one()
    row = await _RATE[scope.nation].fetchrow(db, **params)
    if row is None:
        raise RuntimeError("the reporting statement answers one row")
    return row


async def overdue(
    session: AsyncSession,
    scope: Scope,
    *,
    month: date,
    next_month: date,
    after: str,
    limit: int,
) -> Sequence[RowMapping]:
    params = scope.params() | {
        "month": month,
        "next_month": next_month,
        "after": after,
        "limit": limit,
    }
    return (await session.execute(OVERDUE[scope.nation], params)).mappings().all()


async def sales(
    conn: asyncpg.Connection, scope: Scope, *, first: date, last: date
) -> Sequence[Mapping[str, Any]]:
    params = scope.params() | {"first": first, "last": last}
    return await _SALES[scope.nation].fetch(conn, **params)


async def gaps(
    conn: asyncpg.Connection, scope: Scope, kind: str, *, after: str, limit: int
) -> Sequence[Mapping[str, Any]]:
    params = scope.params() | {"after": after, "limit": limit}
    return await _GAPS[kind][scope.nation].fetch(conn, **params)
