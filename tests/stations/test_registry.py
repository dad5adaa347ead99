"""Station registry: placement, codes, location, validation, read and update, change feed."""

import asyncio
import json
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from common.auth import Role
from common.coords import CRS, from_wgs84, wgs84_to_gcj02
from tests.stations.factories import problem
from tests.stations.registry_helpers import (
    ADMIN,
    CREDIT_CODE,
    DONGGUAN,
    JIESHANG,
    LIN_VILLAGE,
    LISHI,
    LISHI_EAST_POINT,
    LISHI_POINT,
    LIULIN_POINT,
    PHONE,
    WUCHENG,
    XIALUOBAO,
    complete,
    create,
    field_error,
    located,
    move,
    official,
    operator,
)
from tests.support import internal_headers

PUBLIC = internal_headers(Role.PUBLIC, subject="anonymous")


async def post(
    client: httpx.AsyncClient, body: dict[str, object], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/v1/stations", json=body, headers=headers or ADMIN)


# --- registration and codes ------------------------------------------------------------


async def test_register_village_point(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    r = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "街上村服务点", **complete()},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["code"] == f"{JIESHANG}-01"
    assert body["status"] == "planned"
    assert body["version"] == 1
    assert body["division_name"] == "街上村委会"
    assert body["county_code"] == LISHI
    assert body["parent"] is None  # no township station, no county centre yet
    assert body["location"] == {"lon": 111.14, "lat": 37.52}
    assert body["operator"] == {"name": "张小明", "phone": PHONE, "masked": False}
    assert body["company"]["credit_code"] == CREDIT_CODE
    assert body["services"] == ["online_purchase", "produce_sales", "parcels"]
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"] == f"/v1/stations/{JIESHANG}-01"
    history = await db.fetch(
        "SELECT from_status, to_status, actor FROM stations.station_transition"
    )
    assert [tuple(h) for h in history] == [(None, "planned", "admin:1")]


async def test_short_division_code_is_padded(stations: httpx.AsyncClient) -> None:
    body = await create(stations, "county", "141102")
    assert body["code"] == f"{LISHI}-01"
    assert body["division_code"] == LISHI


async def test_codes_count_up_and_are_never_reused(stations: httpx.AsyncClient) -> None:
    first = await create(stations, "county", LISHI, name="离石区电子商务公共服务中心")
    second = await create(stations, "county", LISHI, name="离石区电子商务运营中心")
    assert (first["code"], second["code"]) == (f"{LISHI}-01", f"{LISHI}-02")
    village = await create(stations, "village", JIESHANG)
    assert (await move(stations, village["code"], "closed")).status_code == 201
    again = await create(stations, "village", JIESHANG)
    assert again["code"] == f"{JIESHANG}-02"  # -01 is closed, never given again


async def test_one_open_village_point_per_village(stations: httpx.AsyncClient) -> None:
    first = await create(stations, "village", JIESHANG)
    r = await post(stations, {"tier": "village", "division_code": JIESHANG, "name": "第二个"})
    body = problem(r, 409, "village_point_exists")
    assert body["field"] == "division_code"
    assert body["first_station"] == first["code"]
    assert first["code"] in body["detail"]


async def test_division_code_wrong_length(stations: httpx.AsyncClient) -> None:
    r = await post(stations, {"tier": "village", "division_code": "14110210020", "name": "x"})
    problem(r, 422, "validation_failed")
    field_error(r, "division_code", "invalid_division_code")


async def test_division_code_unknown(stations: httpx.AsyncClient) -> None:
    r = await post(stations, {"tier": "village", "division_code": "141102100299", "name": "x"})
    assert problem(r, 422, "unknown_division")["field"] == "division_code"


@pytest.fixture
async def retired_village(db: asyncpg.Pool) -> AsyncIterator[str]:
    """A village committee that a newer edition no longer lists (reference data: restored)."""
    await db.execute("UPDATE stations.division SET until_edition = 2022 WHERE code = $1", XIALUOBAO)
    try:
        yield XIALUOBAO
    finally:
        await db.execute(
            "UPDATE stations.division SET until_edition = NULL WHERE code = $1", XIALUOBAO
        )


async def test_division_not_current(stations: httpx.AsyncClient, retired_village: str) -> None:
    r = await post(stations, {"tier": "village", "division_code": retired_village, "name": "x"})
    assert problem(r, 422, "division_not_current")["field"] == "division_code"


@pytest.mark.parametrize(
    ("tier", "division", "level"),
    [
        ("village", WUCHENG, "township"),
        ("township", JIESHANG, "village"),
        ("county", WUCHENG, "township"),
        ("township", LISHI, "county"),
        ("county", "141100000000", "prefecture"),
    ],
)
async def test_tier_on_wrong_level(
    stations: httpx.AsyncClient, tier: str, division: str, level: str
) -> None:
    r = await post(stations, {"tier": tier, "division_code": division, "name": "x"})
    body = problem(r, 422, "tier_level_mismatch")
    assert body["field"] == "tier"
    assert body["division_level"] == level


async def test_village_point_needs_a_village_committee(stations: httpx.AsyncClient) -> None:
    r = await post(stations, {"tier": "village", "division_code": DONGGUAN, "name": "x"})
    body = problem(r, 422, "not_village_committee")
    assert body["field"] == "division_code"
    assert body["division_class"] == "residents_committee"


async def test_township_station_on_a_subdistrict_is_allowed(stations: httpx.AsyncClient) -> None:
    body = await create(stations, "township", "141102001000")  # 滨河街道
    assert body["tier"] == "township"


# --- location and coordinate systems ---------------------------------------------------


async def _stored_point(db: asyncpg.Pool, code: str) -> tuple[float, float]:
    row = await db.fetchrow(
        "SELECT ST_X(location) AS lon, ST_Y(location) AS lat FROM stations.station WHERE code = $1",
        code,
    )
    return row["lon"], row["lat"]


async def test_gcj02_input_lands_on_the_wgs84_point(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    gcj = wgs84_to_gcj02(*LISHI_POINT)
    assert abs(gcj[0] - LISHI_POINT[0]) > 0.001  # the offset is real (hundreds of metres)
    body = await create(stations, "village", JIESHANG, **located(gcj, "gcj02"))
    lon, lat = await _stored_point(db, body["code"])
    assert lon == pytest.approx(LISHI_POINT[0], abs=1e-7)
    assert lat == pytest.approx(LISHI_POINT[1], abs=1e-7)
    assert body["location"] == pytest.approx({"lon": 111.14, "lat": 37.52}, abs=1e-7)
    assert body["crs"] == "wgs84"
    as_gcj = (await stations.get(f"/v1/stations/{body['code']}?crs=gcj02", headers=ADMIN)).json()
    assert as_gcj["crs"] == "gcj02"
    assert as_gcj["location"]["lon"] == pytest.approx(gcj[0], abs=1e-7)
    assert as_gcj["location"]["lat"] == pytest.approx(gcj[1], abs=1e-7)


async def test_bd09_input_and_output(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    bd = from_wgs84(*LISHI_POINT, crs=CRS.BD09)
    body = await create(stations, "village", JIESHANG, **located(bd, "BD09"))
    lon, lat = await _stored_point(db, body["code"])
    assert (lon, lat) == pytest.approx(LISHI_POINT, abs=1e-6)
    again = (await stations.get(f"/v1/stations/{body['code']}?crs=bd09", headers=ADMIN)).json()
    assert (again["location"]["lon"], again["location"]["lat"]) == pytest.approx(bd, abs=1e-6)


async def test_unknown_crs_in_body(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "x", **located(crs="mars")},
    )
    problem(r, 422, "validation_failed")
    assert field_error(r, "crs", "unknown_crs")["location"] == "body"


async def test_location_without_crs(stations: httpx.AsyncClient) -> None:
    body = {"tier": "village", "division_code": JIESHANG, "name": "x", **located()}
    del body["crs"]
    r = await post(stations, body)
    field_error(r, "crs", "crs_required")


async def test_unknown_crs_in_query(stations: httpx.AsyncClient) -> None:
    body = await create(stations, "village", JIESHANG)
    r = await stations.get(f"/v1/stations/{body['code']}?crs=epsg3857", headers=ADMIN)
    assert problem(r, 422, "unknown_crs")["field"] == "crs"
    r = await stations.get("/v1/stations?crs=x", headers=ADMIN)
    problem(r, 422, "unknown_crs")


async def test_coordinates_outside_china(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "x", **located((2.35, 48.85))},
    )
    assert problem(r, 422, "outside_china")["field"] == "location"
    # lat and lon swapped, the classic mistake: said so, in Chinese when asked.
    r = await stations.post(
        "/v1/stations",
        json={
            "tier": "village",
            "division_code": JIESHANG,
            "name": "x",
            **located((37.52, 111.14)),
        },
        headers=ADMIN | {"Accept-Language": "zh"},
    )
    error = field_error(r, "location", "lat_lon_swapped")
    assert "似乎填反了" in error["detail"]
    # Swapped in the far west (喀什 75.99°E 39.47°N): both numbers are in range, but the
    # point is outside China while the other way round it is inside.
    r = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "x", **located((39.47, 75.99))},
    )
    assert problem(r, 422, "lat_lon_swapped")["field"] == "location"
    r = await stations.get("/v1/stations", params={"bbox": "37,111,38,112"}, headers=ADMIN)
    assert problem(r, 422, "lat_lon_swapped")["field"] == "bbox"


async def test_coordinates_out_of_range(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "x", **located((200.0, 37.5))},
    )
    field_error(r, "location.lon", "less_than_equal")


async def test_point_in_the_neighbouring_county(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "x", **located(LIULIN_POINT)},
    )
    body = problem(r, 422, "outside_county")
    assert body["field"] == "location"
    assert body["county_code"] == LISHI
    assert body["county_name"] == "离石区"
    assert 20_000 < body["distance_m"] < 23_000
    assert "离石区" in body["detail"]
    assert f"{body['distance_m']:,}" in body["detail"]
    zh = await post(
        stations,
        {"tier": "village", "division_code": JIESHANG, "name": "x", **located(LIULIN_POINT)},
        headers={**ADMIN, "Accept-Language": "zh-CN"},
    )
    assert "离石区" in zh.json()["detail"]
    assert "米" in zh.json()["detail"]


async def _point_outside_lishi(db: asyncpg.Pool, metres: float) -> tuple[float, float]:
    """A point ``metres`` outside Lishi's boundary, towards Liulin."""
    row = await db.fetchrow(
        """
        WITH b AS (SELECT geom FROM stations.county_boundary WHERE county_code = $1),
             far AS (SELECT ST_SetSRID(ST_MakePoint($2, $3), 4326) AS p),
             edge AS (SELECT ST_ClosestPoint(ST_Boundary(b.geom), far.p) AS e, far.p FROM b, far)
        SELECT ST_X(q::geometry) AS lon, ST_Y(q::geometry) AS lat,
               (SELECT ST_Distance(b.geom::geography, q) FROM b) AS d
        FROM (SELECT ST_Project(e::geography, $4, ST_Azimuth(e, p)) AS q FROM edge) x
        """,
        LISHI,
        *LIULIN_POINT,
        metres,
    )
    assert row["d"] == pytest.approx(metres, rel=0.2)
    return row["lon"], row["lat"]


async def test_county_tolerance(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    near = await _point_outside_lishi(db, 200)  # inside Liulin's boundary: not silently
    station = {"tier": "village", "division_code": JIESHANG, "name": "x", **located(near)}
    refused = problem(await post(stations, station), 422, "in_other_county")
    assert (refused["other_county_name"], refused["distance_m"]) == ("柳林县", 200)
    body = await create(stations, "village", JIESHANG, **located(near), confirm_location=True)
    assert body["location"] is not None
    far = await _point_outside_lishi(db, 900)
    r = await post(
        stations, {"tier": "village", "division_code": XIALUOBAO, "name": "x", **located(far)}
    )
    assert 700 < problem(r, 422, "outside_county")["distance_m"] < 1100


@pytest.fixture
async def yeji_without_boundary(db: asyncpg.Pool) -> AsyncIterator[str]:
    """Yeji (叶集区) with its boundary removed for the test (reference data: restored)."""
    county = "341504000000"
    saved = await db.fetchrow(
        "SELECT ST_AsEWKB(geom) AS geom, source FROM stations.county_boundary "
        "WHERE county_code = $1",
        county,
    )
    await db.execute("DELETE FROM stations.county_boundary WHERE county_code = $1", county)
    try:
        yield county
    finally:
        await db.execute(
            "INSERT INTO stations.county_boundary (county_code, geom, source) "
            "VALUES ($1, ST_GeomFromEWKB($2), $3)",
            county,
            saved["geom"],
            saved["source"],
        )


async def test_county_without_boundary_falls_back_to_china(
    stations: httpx.AsyncClient, yeji_without_boundary: str
) -> None:
    beijing = (116.39, 39.91)  # far from Yeji, but in China: all that can be checked
    body = await create(stations, "county", yeji_without_boundary, **located(beijing))
    assert body["location"] == {"lon": 116.39, "lat": 39.91}
    r = await post(
        stations,
        {
            "tier": "county",
            "division_code": yeji_without_boundary,
            "name": "x",
            **located((2.35, 48.85)),
        },
    )
    problem(r, 422, "outside_china")


# --- field validation --------------------------------------------------------------------


async def test_invalid_credit_code(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {
            "tier": "village",
            "division_code": JIESHANG,
            "name": "x",
            "company": {"name": "某公司", "credit_code": CREDIT_CODE[:-1] + "C"},
        },
    )
    problem(r, 422, "validation_failed")
    error = field_error(r, "company.credit_code", "invalid_credit_code")
    assert error["pointer"] == "/company/credit_code"


async def test_invalid_phone(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {
            "tier": "village",
            "division_code": JIESHANG,
            "name": "x",
            "operator": {"name": "张三", "phone": "0358-1234567"},
        },
    )
    field_error(r, "operator.phone", "invalid_phone")


async def test_phone_is_normalised(stations: httpx.AsyncClient) -> None:
    body = await create(
        stations, "village", JIESHANG, operator={"name": "张三", "phone": "+86 138-1234-5678"}
    )
    assert body["operator"]["phone"] == PHONE


async def test_unknown_service(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {
            "tier": "village",
            "division_code": JIESHANG,
            "name": "x",
            "services": ["parcels", "karaoke"],
        },
    )
    error = field_error(r, "services.1", "unknown_service")
    assert "karaoke" in error["detail"]


async def test_services_kept_in_catalogue_order_without_repeats(
    stations: httpx.AsyncClient,
) -> None:
    body = await create(
        stations, "village", JIESHANG, services=["government", "parcels", "government"]
    )
    assert body["services"] == ["parcels", "government"]


async def test_several_bad_fields_in_one_answer(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations,
        {
            "tier": "hamlet",
            "division_code": JIESHANG,
            "name": "",
            "operator": {"phone": "123"},
            "company": {"credit_code": "X"},
        },
    )
    fields = {e["field"]: e["code"] for e in problem(r, 422, "validation_failed")["errors"]}
    assert fields == {
        "tier": "enum",
        "name": "string_too_short",
        "operator.phone": "invalid_phone",
        "company.credit_code": "invalid_credit_code",
    }


async def test_unknown_field_refused(stations: httpx.AsyncClient) -> None:
    r = await post(
        stations, {"tier": "village", "division_code": JIESHANG, "name": "x", "status": "accepted"}
    )
    field_error(r, "status", "extra_forbidden")


# --- read, ETag, update ------------------------------------------------------------------


async def test_read_with_etag_and_304(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    r = await stations.get(f"/v1/stations/{code}", headers=PUBLIC)
    assert r.status_code == 200
    assert r.headers["ETag"] == '"1"'
    again = await stations.get(f"/v1/stations/{code}", headers={**PUBLIC, "If-None-Match": '"1"'})
    assert again.status_code == 304


async def test_read_unknown_and_malformed_code(stations: httpx.AsyncClient) -> None:
    r = await stations.get(f"/v1/stations/{JIESHANG}-07", headers=ADMIN)
    assert problem(r, 404, "station_not_found")["field"] == "code"
    r = await stations.get("/v1/stations/141102-1", headers=ADMIN)
    field_error(r, "code", "string_pattern_mismatch")


async def test_update_needs_if_match(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    r = await stations.patch(f"/v1/stations/{code}", json={"name": "新名字"}, headers=ADMIN)
    assert problem(r, 428, "if_match_required")["field"] == "If-Match"


async def test_update_with_stale_if_match(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    ok = await stations.patch(
        f"/v1/stations/{code}", json={"name": "第一次"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"2"'
    stale = await stations.patch(
        f"/v1/stations/{code}", json={"name": "离线修改"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    body = problem(stale, 412, "stale_version")
    assert body["current_etag"] == '"2"'


async def test_update_fields(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    gcj = wgs84_to_gcj02(*LISHI_EAST_POINT)
    r = await stations.patch(
        f"/v1/stations/{code}",
        json={
            "name": "街上村电商服务站",
            "address": None,
            "operator": {"phone": "13987654321"},
            "company": {"credit_code": "91350100m000100y43"},
            "services": ["bill_payment"],
            **located(gcj, "gcj02"),
        },
        headers={**ADMIN, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2
    assert body["name"] == "街上村电商服务站"
    assert body["address"] is None
    assert body["operator"] == {"name": "张小明", "phone": "13987654321", "masked": False}
    assert body["company"]["credit_code"] == "91350100M000100Y43"
    assert body["company"]["name"] == "吕梁市电子商务发展有限公司"
    assert body["services"] == ["bill_payment"]
    assert await _stored_point(db, code) == pytest.approx(LISHI_EAST_POINT, abs=1e-7)


async def test_update_nothing_changes_nothing(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG, name="同名"))["code"]
    r = await stations.patch(
        f"/v1/stations/{code}", json={"name": "同名"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    assert r.status_code == 200
    assert r.json()["version"] == 1


async def test_update_bad_fields(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG))["code"]
    headers = {**ADMIN, "If-Match": '"1"'}
    r = await stations.patch(f"/v1/stations/{code}", json={"name": None}, headers=headers)
    field_error(r, "name", "null_not_allowed")
    r = await stations.patch(f"/v1/stations/{code}", json={"tier": "township"}, headers=headers)
    field_error(r, "tier", "extra_forbidden")
    r = await stations.patch(f"/v1/stations/{code}", json=located(LIULIN_POINT), headers=headers)
    problem(r, 422, "outside_county")
    r = await stations.patch(
        f"/v1/stations/{code}", json={"operator": {"phone": "12345"}}, headers=headers
    )
    field_error(r, "operator.phone", "invalid_phone")


async def test_personal_fields_masked_for_outsiders(stations: httpx.AsyncClient) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    seen = {
        "admin": ADMIN,
        "official_inside": official("141102"),
        "own_operator": operator(code),
    }
    for who, headers in seen.items():
        body = (await stations.get(f"/v1/stations/{code}", headers=headers)).json()
        assert body["operator"] == {"name": "张小明", "phone": PHONE, "masked": False}, who
    hidden = {
        "public": PUBLIC,
        "official_outside": official("141124"),
        "other_operator": operator(f"{XIALUOBAO}-01"),
        "carrier": internal_headers(Role.CARRIER, subject="carrier:zto", carrier="zhongtong"),
        "platform": internal_headers(Role.PLATFORM, subject="platform:shanxi", division="14"),
    }
    for who, headers in hidden.items():
        body = (await stations.get(f"/v1/stations/{code}", headers=headers)).json()
        assert body["operator"] == {"name": "张*明", "phone": "138****5678", "masked": True}, who
        assert body["company"]["credit_code"] == CREDIT_CODE  # a company is not a person
    listed = (await stations.get("/v1/stations", headers=PUBLIC)).json()["items"]
    assert listed[0]["operator"]["masked"] is True


async def test_chinese_messages(stations: httpx.AsyncClient) -> None:
    r = await stations.post(
        "/v1/stations",
        json={"tier": "village", "division_code": WUCHENG, "name": "x"},
        headers={**ADMIN, "Accept-Language": "zh"},
    )
    body = problem(r, 422, "tier_level_mismatch")
    assert "村级服务点" in body["detail"]


# --- idempotency and the change feed -------------------------------------------------------


async def test_create_with_idempotency_key(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    body = {"tier": "village", "division_code": JIESHANG, "name": "x"}
    headers = {**ADMIN, "Idempotency-Key": "create-jieshang-0001"}
    first = await stations.post("/v1/stations", json=body, headers=headers)
    again = await stations.post("/v1/stations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await db.fetchval("SELECT count(*) FROM stations.station") == 1
    other = await stations.post("/v1/stations", json={**body, "name": "y"}, headers=headers)
    assert problem(other, 422, "idempotency_key_reused")["field"] == "Idempotency-Key"


async def test_change_events_without_personal_fields(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    code = (await create(stations, "village", JIESHANG, **complete()))["code"]
    await stations.patch(
        f"/v1/stations/{code}", json={"name": "改名"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    await move(stations, code, "building")
    events = await db.fetch(
        "SELECT topic, key, action, version, payload::text AS payload "
        "FROM stations.change_event ORDER BY id"
    )
    assert [(e["topic"], e["key"], e["action"], e["version"]) for e in events] == [
        ("station", code, "created", 1),
        ("station", code, "updated", 2),
        ("station", code, "transitioned", 3),
    ]
    for event in events:
        assert PHONE not in event["payload"]
        assert "张小明" not in event["payload"]
        assert "operator" not in event["payload"]
    # Read from the table: the feed endpoint holds events back while any transaction in
    # the cluster is older (see common/changefeed.py), which other test runs may cause.
    last = json.loads(events[-1]["payload"])
    assert last["status"] == "building"
    assert last["township_code"] == WUCHENG
    assert last["location"] == {"lon": 111.14, "lat": 37.52}
    assert last["address"] == "街上村主街 12 号"
    assert last["version"] == 3


async def test_failed_write_leaves_nothing(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    r = await post(
        stations,
        {"tier": "village", "division_code": LIN_VILLAGE, "name": "x", **located(LISHI_POINT)},
    )
    problem(r, 422, "outside_county")
    assert await db.fetchval("SELECT count(*) FROM stations.station") == 0
    assert await db.fetchval("SELECT count(*) FROM stations.change_event") == 0


# --- concurrent writers ----------------------------------------------------------------------


async def test_concurrent_registrations(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    """The county lock turns races into the same answers as sequential requests."""
    body = {"tier": "village", "division_code": JIESHANG, "name": "x"}
    answers = await asyncio.gather(*(post(stations, body) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 201).json()["code"]
    assert {a.json()["first_station"] for a in answers if a.status_code == 409} == {winner}
    centres = await asyncio.gather(
        *(post(stations, {"tier": "county", "division_code": LISHI, "name": "x"}) for _ in range(5))
    )
    assert sorted(c.json()["code"] for c in centres) == [f"{LISHI}-0{i}" for i in range(1, 6)]
    # five centres, one village point, and the point's move under the first centre
    actions = await db.fetch("SELECT action FROM stations.change_event")
    assert sorted(a["action"] for a in actions) == ["created"] * 6 + ["reparented"]
