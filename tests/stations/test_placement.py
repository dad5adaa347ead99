"""A location that lies in the neighbouring county is not stored silently: the real border of
离石区 and 文水县 in the bundled boundaries, and the GCJ-02 shift (AMap, Tencent) that carries a
point across it when it is sent as WGS-84."""

import asyncpg
import httpx
import pytest

from common.coords import wgs84_to_gcj02
from tests.stations.factories import problem
from tests.stations.registry_helpers import ADMIN, JIESHANG, LISHI, create, located

WENSHUI = "141121000000"  # 文水县 (Lüliang), east of 离石区 in the bundled boundaries
# A point of 离石区 about 300 m from its border with 文水县, found by sampling the shared border
# of the seed boundaries; its GCJ-02 coordinates, shifted ~560 m east, lie in 文水县.
IN_LISHI = (111.55474, 37.57985)
AS_AMAP_GIVES_IT = wgs84_to_gcj02(*IN_LISHI)


async def _covers(db: asyncpg.Pool, county: str, point: tuple[float, float]) -> bool:
    return await db.fetchval(
        "SELECT ST_Covers(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326))"
        " FROM stations.county_boundary WHERE county_code = $1",
        county,
        *point,
    )


async def _metres_outside(db: asyncpg.Pool, county: str, point: tuple[float, float]) -> float:
    return await db.fetchval(
        "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography)"
        " FROM stations.county_boundary WHERE county_code = $1",
        county,
        *point,
    )


async def test_the_border_points_are_what_the_test_says(db: asyncpg.Pool) -> None:
    assert await _covers(db, LISHI, IN_LISHI)
    assert await _covers(db, WENSHUI, AS_AMAP_GIVES_IT)
    assert not await _covers(db, LISHI, AS_AMAP_GIVES_IT)
    # Within the 500 m tolerance: the old rule stored it, silently, in the wrong county.
    assert 0 < await _metres_outside(db, LISHI, AS_AMAP_GIVES_IT) < 500


async def test_gcj02_sent_as_wgs84_across_a_county_border(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    station = {"tier": "village", "division_code": JIESHANG, "name": "街上村服务点"}
    wrong = station | located(AS_AMAP_GIVES_IT, crs="wgs84")
    body = problem(
        await stations.post("/v1/stations", json=wrong, headers=ADMIN), 422, "in_other_county"
    )
    assert body["field"] == "location"
    assert (body["county_code"], body["county_name"]) == (LISHI, "离石区")
    assert (body["other_county_code"], body["other_county_name"]) == (WENSHUI, "文水县")
    assert body["likely_crs"] == "gcj02"
    assert "文水县" in body["detail"]
    assert "离石区" in body["detail"]
    assert "crs=gcj02" in body["detail"]
    zh = await stations.post("/v1/stations", json=wrong, headers=ADMIN | {"Accept-Language": "zh"})
    assert "落在文水县" in zh.json()["detail"]
    assert "高德" in zh.json()["detail"]
    assert await db.fetchval("SELECT count(*) FROM stations.station") == 0

    # Said as what it is, the same numbers are a point of 离石区.
    created = await create(stations, "village", JIESHANG, **located(AS_AMAP_GIVES_IT, crs="gcj02"))
    stored = (created["location"]["lon"], created["location"]["lat"])
    assert stored == pytest.approx(IN_LISHI, abs=1e-6)

    # An edit is held to the same rule.
    r = await stations.patch(
        f"/v1/stations/{created['code']}",
        json=located(AS_AMAP_GIVES_IT, crs="wgs84"),
        headers=ADMIN | {"If-Match": '"1"'},
    )
    problem(r, 422, "in_other_county")


async def test_a_confirmed_border_location_is_kept(stations: httpx.AsyncClient) -> None:
    # A station that really stands there, a few metres from the simplified border line.
    body = await create(
        stations,
        "village",
        JIESHANG,
        **located(AS_AMAP_GIVES_IT, crs="wgs84"),
        confirm_location=True,
    )
    assert body["location"]["lon"] == round(AS_AMAP_GIVES_IT[0], 7)
