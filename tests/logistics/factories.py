"""What the logistics tests share: principals, real places of the seed region, station points
written straight into the projection, and a retired code in the reference copy."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from common.auth import Role
from tests.support import internal_headers

# Lüliang 1411, Lishi district 141102 (离石区), and Lin county 141124 (临县) next to it.
LISHI = "141102000000"
WUCHENG = "141102100000"  # 吴城镇 (a town)
JIESHANG = "141102100200"  # 街上村委会, in 吴城镇
XIALUOBAO = "141102100202"  # 下罗堡村委会, in 吴城镇
ZAOLIN = "141102201000"  # 枣林乡 (a township)
ZAOLIN_VILLAGE = "141102201200"  # 枣林村委会
SUBDISTRICT = "141102001000"  # a 街道 of Lishi
RESIDENTS = "141102001001"  # 东关社区居委会: a residents' committee
LIN_VILLAGE = "141124100200"  # in 临县
RETIRED = "141102100299"  # made retired for a test (``retired_code``)

ADMIN = internal_headers(Role.ADMIN, subject="admin:1")
ZTO = internal_headers(Role.CARRIER, subject="carrier:zto", carrier="zto")
SF = internal_headers(Role.CARRIER, subject="carrier:sf", carrier="sf")
LISHI_OFFICIAL = internal_headers(Role.OFFICIAL, subject="official:lishi", division="141102")
LIN_OFFICIAL = internal_headers(Role.OFFICIAL, subject="official:lin", division="141124")
ZH = {"Accept-Language": "zh-CN"}


def coverage(division: str = JIESHANG, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "carrier": "zhongtong",
        "division_code": division,
        "mode": "direct",
        "pickups_per_week": 3,
        "deliveries_per_week": 6,
        "valid_from": "2026-01-01",
    }
    body.update(fields)
    return body


async def add_point(
    db: asyncpg.Pool,
    division: str,
    *,
    seq: int = 1,
    tier: str = "village",
    status: str = "operating",
    lon_lat: tuple[float, float] | None = (111.14, 37.52),
) -> str:
    """A station point as the stations feed would have brought it."""
    code = f"{division}-{seq:02d}"
    await db.execute(
        """
        INSERT INTO logistics.station_point
            (code, tier, name, division_code, status, location, version)
        VALUES ($1, $2, $3, $4, $5,
                CASE WHEN $6::float8 IS NULL THEN NULL
                     ELSE ST_SetSRID(ST_MakePoint($6, $7), 4326) END, 1)
        """,
        code,
        tier,
        f"point {code}",
        division,
        status,
        lon_lat[0] if lon_lat else None,
        lon_lat[1] if lon_lat else None,
    )
    return code


@asynccontextmanager
async def retired_code(db: asyncpg.Pool) -> AsyncIterator[str]:
    """A village committee the 2024 edition no longer lists, in the reference copy only
    (reference data is kept between tests: it is removed again)."""
    await db.execute(
        "INSERT INTO logistics.reference_division (code, name, level, division_class,"
        " parent_code, since_edition, until_edition, poverty_county, poor_village,"
        " flags_version) VALUES ($1, '旧村委会', 'village', 'village_committee',"
        " '141102100000', 2009, 2023, false, false, 0)",
        RETIRED,
    )
    try:
        yield RETIRED
    finally:
        await db.execute("DELETE FROM logistics.reference_division WHERE code = $1", RETIRED)
