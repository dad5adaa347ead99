"""Shared set-up of the station registry tests: real places in the seed region and helpers
that register stations and move them along their lifecycle through the API."""

from datetime import date
from typing import Any

import asyncpg
import httpx

from common.auth import Role
from tests.stations.factories import insert_report, months_from_now
from tests.support import internal_headers

# Lüliang 1411, Lishi district 141102 (离石区): townships and village committees.
LISHI = "141102000000"
WUCHENG = "141102100000"  # 吴城镇
JIESHANG = "141102100200"  # 街上村委会, in 吴城镇
XIALUOBAO = "141102100202"  # 下罗堡村委会, in 吴城镇
ZAOLIN = "141102201000"  # 枣林乡
ZAOLIN_VILLAGE = "141102201200"  # 枣林村委会, in 枣林乡
DONGGUAN = "141102001001"  # 东关社区居委会: a residents' committee
LIN_COUNTY = "141124000000"  # 临县, another county of Lüliang
LIN_VILLAGE = "141124100200"

# WGS-84 points checked against the seed boundaries: inside Lishi, and in Liulin (柳林县),
# its western neighbour, about 21 km outside Lishi.
LISHI_POINT = (111.14, 37.52)
LISHI_EAST_POINT = (111.30, 37.55)
LIULIN_POINT = (110.86, 37.39)

CREDIT_CODE = "91110000802100433B"
OTHER_CREDIT_CODE = "91350100M000100Y43"
PHONE = "13812345678"

ADMIN = internal_headers(Role.ADMIN, subject="admin:1")


def official(division: str = "141102", subject: str = "official:1") -> dict[str, str]:
    return internal_headers(Role.OFFICIAL, subject=subject, division=division)


def operator(station: str, subject: str = "operator:1") -> dict[str, str]:
    return internal_headers(Role.OPERATOR, subject=subject, station=station)


def located(point: tuple[float, float] = LISHI_POINT, crs: str = "wgs84") -> dict[str, Any]:
    return {"location": {"lon": point[0], "lat": point[1]}, "crs": crs}


def complete(point: tuple[float, float] = LISHI_POINT) -> dict[str, Any]:
    """Every field acceptance asks for (monthly reports aside)."""
    return {
        **located(point),
        "address": "街上村主街 12 号",
        "operator": {"name": "张小明", "phone": PHONE},
        "company": {"name": "吕梁市电子商务发展有限公司", "credit_code": CREDIT_CODE},
        "services": ["online_purchase", "produce_sales", "parcels"],
    }


async def create(
    client: httpx.AsyncClient,
    tier: str,
    division: str,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {"tier": tier, "division_code": division, "name": f"{tier} station {division}"}
    body.update(fields)
    r = await client.post("/v1/stations", json=body, headers=headers or ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


async def move(
    client: httpx.AsyncClient,
    code: str,
    *statuses: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    """Transition through ``statuses`` in order; every step but the last must succeed."""
    response = None
    for index, status in enumerate(statuses):
        body: dict[str, Any] = {"to": status, "reason": f"test: {status}"}
        if index == len(statuses) - 1:
            body.update(extra)
        response = await client.post(
            f"/v1/stations/{code}/transitions", json=body, headers=headers or ADMIN
        )
        if index < len(statuses) - 1:
            assert response.status_code == 201, response.text
    assert response is not None
    return response


async def station_id(db: asyncpg.Pool, code: str) -> int:
    return await db.fetchval("SELECT id FROM stations.station WHERE code = $1", code)


async def add_reports(db: asyncpg.Pool, code: str, months: list[date]) -> None:
    """Monthly reports of a station registered through the API, straight into the tables."""
    sid = await station_id(db, code)
    for month in months:
        await insert_report(db, sid, month)


def months_ago(count: int) -> date:
    return months_from_now(-count)


def field_error(response: httpx.Response, field: str, code: str) -> dict[str, Any]:
    """Assert a 422 whose errors name ``field`` with ``code``."""
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    match = [e for e in errors if e["field"] == field]
    assert match, errors
    assert match[0]["code"] == code, match
    return match[0]
