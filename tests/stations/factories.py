"""What the stations tests share: rows written straight into the database (not through the
APIs), months counted in China time here rather than by the code under test, and the check
of a problem answer.

Stations sit on real divisions of the seed regions; their code is ``<division code>-<seq>``.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from common.identifiers import DivisionLevel, division_level
from tests.support import problem as problem  # the stations tests import it from here

_TIER_OF_LEVEL = {
    DivisionLevel.COUNTY: "county",
    DivisionLevel.TOWNSHIP: "township",
    DivisionLevel.VILLAGE: "village",
}


@dataclass(frozen=True)
class StationRow:
    id: int
    code: str
    tier: str
    status: str
    division_code: str
    operating_since: date | None


async def insert_station(
    db: asyncpg.Pool | asyncpg.Connection,
    division_code: str,
    *,
    status: str = "operating",
    operating_since: date | None = date(2024, 1, 1),
    tier: str | None = None,
    seq: int = 1,
    name: str | None = None,
    created_by: str = "test",
) -> StationRow:
    """A station on ``division_code``; its tier follows from the division's level."""
    tier = tier or _TIER_OF_LEVEL[division_level(division_code)]
    code = f"{division_code}-{seq:02d}"
    station_id = await db.fetchval(
        """
        INSERT INTO stations.station
            (code, tier, name, division_code, status, operating_since, services, version,
             created_by)
        VALUES ($1, $2, $3, $4, $5, $6, '{}', 1, $7)
        RETURNING id
        """,
        code,
        tier,
        name or f"test {tier} station {code}",
        division_code,
        status,
        operating_since,
        created_by,
    )
    return StationRow(station_id, code, tier, status, division_code, operating_since)


async def flag_poor_village(db: asyncpg.Pool | asyncpg.Connection, code: str) -> None:
    await db.execute(
        """
        INSERT INTO stations.division_flag (code, poverty_county, poor_village, updated_by)
        VALUES ($1, false, true, 'test')
        ON CONFLICT (code) DO UPDATE SET poor_village = true
        """,
        code,
    )


def figures(**overrides: int | str) -> dict[str, int | str]:
    """A plausible month of a village point; override any figure."""
    values: dict[str, int | str] = {
        "upward_amount": "18650.00",
        "upward_orders": 214,
        "downward_amount": "9320.50",
        "downward_orders": 388,
        "parcels_in": 1260,
        "parcels_out": 402,
        "households_served": 310,
        "poor_households_served": 42,
    }
    values.update(overrides)
    return values


async def insert_report(
    db: asyncpg.Pool | asyncpg.Connection,
    station_id: int,
    month: date,
    *,
    submitted_by: str = "test",
    **overrides: int | str,
) -> int:
    """Revision 1 of a monthly report (and its history row), written directly."""
    values = figures(**overrides)
    names = list(values)
    args = [Decimal(str(v)) if n.endswith("_amount") else v for n, v in values.items()]
    columns = ", ".join(names)
    placeholders = ", ".join(f"${i + 5}" for i in range(len(names)))
    report_id = await db.fetchval(
        f"""
        INSERT INTO stations.monthly_report (station_id, month, revision, submitted_by, {columns})
        VALUES ($1, $2, $3, $4, {placeholders}) RETURNING id
        """,
        station_id,
        month,
        1,
        submitted_by,
        *args,
    )
    await db.execute(
        f"""
        INSERT INTO stations.monthly_report_revision
            (report_id, station_id, month, revision, submitted_by, {columns})
        VALUES ($1, $2, $3, 1, $4, {", ".join(f"${i + 5}" for i in range(len(names)))})
        """,
        report_id,
        station_id,
        month,
        submitted_by,
        *args,
    )
    return report_id


def months_from_now(offset: int) -> date:
    """The month ``offset`` months from the one now running in China, as its first day."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    index = today.year * 12 + today.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def month_text(month: date) -> str:
    return month.strftime("%Y-%m")
