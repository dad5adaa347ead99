"""The station list: filters, spatial queries, GeoJSON and keyset pagination."""

import base64
from typing import Any

import asyncpg
import httpx
import pytest

from common.coords import wgs84_to_gcj02
from tests.stations.factories import problem
from tests.stations.registry_helpers import (
    ADMIN,
    JIESHANG,
    LIN_COUNTY,
    LISHI_EAST_POINT,
    LISHI_POINT,
    WUCHENG,
    XIALUOBAO,
    ZAOLIN_VILLAGE,
    create,
    field_error,
    located,
    move,
)

LIN_POINT = (110.89, 37.92)  # inside 临县

A = f"{JIESHANG}-01"  # village, at LISHI_POINT, operating, parcels + produce, poor village
B = f"{XIALUOBAO}-01"  # village, ~14 km east of A, parcels
C = f"{WUCHENG}-01"  # township, no location
D = f"{LIN_COUNTY}-01"  # county centre of 临县, a demonstration county
E = f"{ZAOLIN_VILLAGE}-01"  # village, no location


@pytest.fixture
async def network(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await create(stations, "township", WUCHENG)
    await create(stations, "village", JIESHANG, services=["produce_sales", "parcels"], **located())
    await create(stations, "village", XIALUOBAO, services=["parcels"], **located(LISHI_EAST_POINT))
    await create(stations, "county", LIN_COUNTY, **located(LIN_POINT))
    await create(stations, "village", ZAOLIN_VILLAGE)
    await move(stations, A, "building", "operating")
    await db.executemany(
        "INSERT INTO stations.division_flag (code, poverty_county, poor_village, "
        "demonstration_year, updated_by) VALUES ($1, $2, $3, $4, 'test')",
        [(JIESHANG, False, True, None), (LIN_COUNTY, True, False, 2016)],
    )


async def codes(client: httpx.AsyncClient, query: str) -> list[str]:
    r = await client.get(f"/v1/stations?{query}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return [s["code"] for s in r.json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [C, A, B, E, D]),
        ("under=141102", [C, A, B, E]),
        ("under=141102000000", [C, A, B, E]),
        ("under=141102100", [C, A, B]),
        ("under=14", [C, A, B, E, D]),
        ("under=33", []),
        ("tier=village", [A, B, E]),
        ("tier=village&tier=township", [C, A, B, E]),
        ("status=operating", [A]),
        ("status=planned&tier=village", [B, E]),
        ("service=parcels", [A, B]),
        ("service=parcels&service=produce_sales", [A]),
        ("poor_village=true", [A]),
        ("poor_village=false&tier=village", [B, E]),
        ("demonstration_county=true", [D]),
        ("demonstration_county=false", [C, A, B, E]),
        ("near=111.14,37.52&radius_m=5000", [A]),
        ("near=111.14,37.52&radius_m=20000", [A, B]),
        ("near=111.14,37.52&radius_m=20000&tier=township", []),
        ("bbox=111.1,37.5,111.2,37.6", [A]),
        ("bbox=110,37,112,39", [A, B, D]),
        ("bbox=110,37,112,39&under=141102", [A, B]),
    ],
)
async def test_filters(
    stations: httpx.AsyncClient, network: None, query: str, expected: list[str]
) -> None:
    assert await codes(stations, query) == expected


async def test_near_and_bbox_in_gcj02(stations: httpx.AsyncClient, network: None) -> None:
    lon, lat = wgs84_to_gcj02(*LISHI_POINT)
    # 50 m around the GCJ-02 reading of A: only right if the centre is converted (the raw
    # GCJ-02 numbers are hundreds of metres from A)
    assert await codes(stations, f"near={lon},{lat}&radius_m=50&crs=gcj02") == [A]
    assert await codes(stations, f"near={lon},{lat}&radius_m=50") == []
    box = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
    assert await codes(stations, f"bbox={box}&crs=gcj02") == [A]
    assert await codes(stations, f"bbox={box}") == []


async def test_answer_in_another_crs(stations: httpx.AsyncClient, network: None) -> None:
    r = await stations.get(f"/v1/stations?under={JIESHANG}&crs=gcj02", headers=ADMIN)
    item = r.json()["items"][0]
    assert item["crs"] == "gcj02"
    gcj = wgs84_to_gcj02(*LISHI_POINT)
    assert (item["location"]["lon"], item["location"]["lat"]) == pytest.approx(gcj, abs=1e-7)


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("under=1411021", "under", "invalid_division_code"),
        ("under=abc", "under", "invalid_division_code"),
        ("near=111.14&radius_m=10", "near", "invalid_near"),
        ("near=east,north&radius_m=10", "near", "invalid_near"),
        ("near=111.14,137.52&radius_m=10", "near", "invalid_near"),
        ("near=111.14,37.52", "radius_m", "near_needs_radius"),
        ("radius_m=100", "near", "near_needs_radius"),
        ("bbox=111.2,37.5,111.1,37.6", "bbox", "invalid_bbox"),
        ("bbox=1,2,3", "bbox", "invalid_bbox"),
        ("bbox=nan,1,2,3", "bbox", "invalid_bbox"),
    ],
)
async def test_bad_filters(stations: httpx.AsyncClient, query: str, field: str, code: str) -> None:
    r = await stations.get(f"/v1/stations?{query}", headers=ADMIN)
    body = problem(r, 422, code)
    assert body["field"] == field
    assert body["errors"][0]["location"] == "query"


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("near=111.14,37.52&radius_m=0", "radius_m", "greater_than"),
        ("near=111.14,37.52&radius_m=1000000", "radius_m", "less_than_equal"),
        ("tier=hamlet", "tier.0", "enum"),
        ("status=open", "status.0", "enum"),
        ("service=karaoke", "service.0", "enum"),
        ("poor_village=maybe", "poor_village", "bool_parsing"),
        ("format=kml", "format", "literal_error"),
        ("limit=5000", "limit", "less_than_equal"),
    ],
)
async def test_bad_query_values(
    stations: httpx.AsyncClient, query: str, field: str, code: str
) -> None:
    field_error(await stations.get(f"/v1/stations?{query}", headers=ADMIN), field, code)


async def test_bad_cursor(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/stations?cursor=not-a-cursor", headers=ADMIN)
    assert problem(r, 400, "invalid_cursor")["field"] == "cursor"


async def test_keyset_pagination(stations: httpx.AsyncClient, network: None) -> None:
    seen: list[str] = []
    url: str | None = "/v1/stations?limit=2&tier=village&tier=township&tier=county"
    pages = 0
    while url:
        r = await stations.get(url, headers=ADMIN)
        body = r.json()
        assert len(body["items"]) <= 2
        seen += [s["code"] for s in body["items"]]
        if body["next"]:
            assert r.headers["Link"] == f'<{body["next"]}>; rel="next"'
            assert "tier=county" in body["next"]  # the filters travel with the cursor
        url = body["next"]
        pages += 1
    assert seen == [C, A, B, E, D]
    assert pages == 3


def _features(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in body["features"]}


async def test_geojson(stations: httpx.AsyncClient, network: None) -> None:
    r = await stations.get(
        "/v1/stations?under=141102", headers={**ADMIN, "Accept": "application/geo+json"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["coordinate_system"] == "wgs84"
    features = _features(body)
    assert set(features) == {A, B, C, E}
    assert features[A]["type"] == "Feature"
    assert features[A]["geometry"] == {"type": "Point", "coordinates": [111.14, 37.52]}
    assert features[C]["geometry"] is None
    assert features[A]["properties"]["status"] == "operating"
    assert "location" not in features[A]["properties"]
    assert "next" not in body
    paged = (await stations.get("/v1/stations?format=geojson&limit=1", headers=ADMIN)).json()
    assert paged["type"] == "FeatureCollection"
    assert "format=geojson" in paged["next"]
    in_gcj = (
        await stations.get(f"/v1/stations?format=geojson&crs=gcj02&under={JIESHANG}", headers=ADMIN)
    ).json()
    # RFC 7946: GeoJSON is WGS-84 whatever crs says (crs still reads near and bbox).
    assert in_gcj["coordinate_system"] == "wgs84"
    feature = in_gcj["features"][0]
    assert feature["geometry"]["coordinates"] == list(LISHI_POINT)
    assert feature["properties"]["crs"] == "wgs84"
    single = (await stations.get(f"/v1/stations/{A}?format=geojson&crs=bd09", headers=ADMIN)).json()
    assert single["geometry"]["coordinates"] == [111.14, 37.52]
    as_json = (await stations.get(f"/v1/stations?crs=gcj02&under={JIESHANG}", headers=ADMIN)).json()
    location = as_json["items"][0]["location"]
    assert (location["lon"], location["lat"]) == pytest.approx(
        wgs84_to_gcj02(*LISHI_POINT), abs=1e-7
    )


async def test_single_station_as_geojson(stations: httpx.AsyncClient, network: None) -> None:
    r = await stations.get(f"/v1/stations/{A}?format=geojson", headers=ADMIN)
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["ETag"] == '"3"'
    body = r.json()
    assert body["type"] == "Feature"
    assert body["id"] == A
    assert body["geometry"]["coordinates"] == [111.14, 37.52]


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("raw", [b"[123]", b"[null]", b"[[1, 2]]", b'["\\u0000"]', b'["x"]'])
async def test_forged_cursor(stations: httpx.AsyncClient, raw: bytes) -> None:
    r = await stations.get(f"/v1/stations?cursor={_cursor(raw)}", headers=ADMIN)
    assert problem(r, 400, "invalid_cursor")["field"] == "cursor"


@pytest.mark.parametrize(
    "raw", [b'["x"]', b"[null]", b"[true]", b"[-1]", b"[1e30]", b"[99999999999999999999]"]
)
async def test_forged_history_cursor(
    stations: httpx.AsyncClient, network: None, raw: bytes
) -> None:
    r = await stations.get(f"/v1/stations/{A}/transitions?cursor={_cursor(raw)}", headers=ADMIN)
    assert problem(r, 400, "invalid_cursor")["field"] == "cursor"
