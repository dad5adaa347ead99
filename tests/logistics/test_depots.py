"""Depots: sent whole under their code, placed in their county as stations are, shared
delivery by the carriers working there, carriers writing only the depots they run."""

from typing import Any

import asyncpg
import httpx
import pytest

from common.auth import Role
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    LIN_OFFICIAL,
    LISHI,
    LISHI_OFFICIAL,
    RESIDENTS,
    SF,
    WUCHENG,
    ZH,
    ZTO,
)
from tests.stations.test_placement import AS_AMAP_GIVES_IT, IN_LISHI, WENSHUI
from tests.support import internal_headers, problem

LISHI_POINT = (111.14, 37.52)
LIULIN_POINT = (110.86, 37.39)  # in 柳林县, next door, ~21 km outside Lishi


def depot(code: str = "LS-GX-01", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "kind": "county_centre",
        "name": "离石区农村电商物流配送中心",
        "division_code": LISHI,
        "location": {"lon": LISHI_POINT[0], "lat": LISHI_POINT[1]},
        "crs": "wgs84",
        "area_m2": "3200",
        "parcels_per_day": 18000,
        "operator_name": "吕梁市供销物流有限公司",
        "operator_credit_code": "91110000802100433B",
        "carriers": ["china_post", "ZTO", "yuantong"],
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def put(
    client: httpx.AsyncClient, body: dict[str, Any], headers: Any = LISHI_OFFICIAL
) -> httpx.Response:
    return await client.put(f"/v1/depots/{body['code']}", json=body, headers=headers)


async def test_a_shared_county_centre(logistics: httpx.AsyncClient) -> None:
    r = await put(logistics, depot())
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["carriers"], out["shared"], out["version"], out["outcome"]) == (
        ["china_post", "yto", "zto"],
        True,
        1,
        "created",
    )
    assert (await put(logistics, depot())).json()["outcome"] == "unchanged"
    bigger = await put(logistics, depot(parcels_per_day=25000))
    assert (bigger.json()["outcome"], bigger.json()["version"]) == ("updated", 2)
    # GCJ-02 from an AMap picker is stored as WGS-84.
    gcj = await put(logistics, depot(crs="gcj02", parcels_per_day=25000))
    assert gcj.json()["location"]["lon"] != LISHI_POINT[0]
    assert (await logistics.get("/v1/depots/LS-GX-01", headers=ZTO)).status_code == 200
    assert [
        d["code"]
        for d in (await logistics.get("/v1/depots", headers=LISHI_OFFICIAL)).json()["items"]
    ] == ["LS-GX-01"]
    problem(await logistics.get("/v1/depots/LS-GX-01", headers=SF), 404, "depot_not_found")
    assert (await logistics.get("/v1/depots", headers=LIN_OFFICIAL)).json()["items"] == []
    events = (await logistics.get("/v1/changes", params={"topic": "depot"}, headers=ADMIN)).json()[
        "items"
    ]
    assert [(e["action"], e["version"]) for e in events] == [
        ("created", 1),
        ("updated", 2),
        ("updated", 3),
    ]
    assert events[0]["payload"]["carriers"] == ["china_post", "yto", "zto"]


async def test_carriers_write_the_depots_they_run(logistics: httpx.AsyncClient) -> None:
    hub = depot("ZTO-WC", kind="township_hub", division_code=WUCHENG, operator_name=None,
                operator_credit_code=None, operator_carrier="zhongtong", carriers=[])  # fmt: skip
    r = await put(logistics, hub, ZTO)
    assert r.status_code == 201, r.text
    assert (r.json()["operator_carrier"], r.json()["carriers"], r.json()["shared"]) == (
        "zto",
        ["zto"],
        False,
    )
    problem(await put(logistics, {**hub, "operator_carrier": "sf"}, SF), 403, "not_your_carrier")
    problem(
        await put(logistics, depot("SF-1", operator_carrier="sf"), ZTO),
        403,
        "not_your_carrier",
        "operator_carrier",
    )
    problem(await logistics.get("/v1/depots/ZTO-WC", headers=SF), 404, "depot_not_found")
    operator = internal_headers(Role.OPERATOR, subject="op:1", station=f"{JIESHANG}-01")
    problem(await put(logistics, depot(), operator), 403, "role_forbidden")


BAD_DEPOTS: list[tuple[dict[str, Any], Any, int, str, str | None]] = [
    ({"location": {"lon": LIULIN_POINT[0], "lat": LIULIN_POINT[1]}}, LISHI_OFFICIAL, 422, "outside_county", "location"),
    ({"location": {"lon": 37.52, "lat": 111.14}}, LISHI_OFFICIAL, 422, "lat_lon_swapped", "location"),
    ({"crs": None}, LISHI_OFFICIAL, 422, "crs_required", "crs"),
    ({"division_code": WUCHENG}, LISHI_OFFICIAL, 422, "wrong_division_level", "division_code"),
    ({"kind": "village_pickup", "division_code": RESIDENTS}, LISHI_OFFICIAL, 422, "wrong_division_class", "division_code"),
    ({"carriers": ["zto", "kuaidi"]}, LISHI_OFFICIAL, 422, "unknown_carrier", "carriers[1]"),
    ({"operator_name": None}, LISHI_OFFICIAL, 422, "operator_required", "operator_name"),
    ({"kind": "village_pickup", "division_code": JIESHANG, "station_code": "141102100202-01"}, LISHI_OFFICIAL, 422, "station_elsewhere", "station_code"),
    ({"area_m2": 5_000_000}, LISHI_OFFICIAL, 422, "capacity_too_high", "area_m2"),
    ({"parcels_per_day": -1}, LISHI_OFFICIAL, 422, "negative_capacity", "parcels_per_day"),
    ({}, LIN_OFFICIAL, 403, "outside_scope", "division_code"),
]  # fmt: skip


async def test_bad_input(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    for fields, headers, status, code, field in BAD_DEPOTS:
        r = await put(logistics, depot(**fields), headers | ZH)
        assert r.status_code == status, (fields, r.text)
        body = r.json()
        assert code in (body["code"], body["errors"][0]["code"]), (fields, body)
        assert body.get("field") == field, (fields, body)
        assert any(
            "\u4e00" <= ch <= "\u9fff" for ch in body["detail"] + body["errors"][0]["detail"]
        ), body
    outside = (
        await put(
            logistics,
            depot(location={"lon": LIULIN_POINT[0], "lat": LIULIN_POINT[1]}),
            LISHI_OFFICIAL | ZH,
        )
    ).json()
    assert "离石区" in outside["detail"]
    r = await logistics.put("/v1/depots/OTHER", json=depot(), headers=LISHI_OFFICIAL)
    problem(r, 422, "code_mismatch", "code")
    assert await db.fetchval("SELECT count(*) FROM logistics.depot") == 0


async def test_a_spreadsheet_of_depots(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    template = await logistics.get("/v1/depots/bulk/template", headers=ZTO)
    rows = (
        f"LS-1,县级物流配送中心,离石配送中心,{LISHI},,111.14,37.52,wgs84,,,3200,18000,,供销物流,,"
        "zto;圆通;YTO,运营\r\n"
        f"LS-2,乡镇网点,吴城网点,{WUCHENG},,110.86,37.39,wgs84,,,,,ZTO,,,,\r\n"
    )
    r = await logistics.post(
        "/v1/depots/bulk",
        content=template.content + rows.encode("utf-8"),
        headers=LISHI_OFFICIAL | ZH | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [(i["index"], i["status"], i.get("code")) for i in results] == [
        (2, "rejected", "unknown_carrier"),
        (3, "rejected", "outside_county"),
    ]
    fixed = rows.replace("圆通;", "").replace("110.86,37.39", "111.14,37.52")
    r = await logistics.post(
        "/v1/depots/bulk",
        content=template.content + fixed.encode("utf-8"),
        headers=LISHI_OFFICIAL | {"Content-Type": "text/csv"},
    )
    assert [i["status"] for i in r.json()["results"]] == ["created", "created"], r.text
    assert await db.fetchval("SELECT count(*) FROM logistics.depot_carrier") == 3


async def test_a_depot_across_the_county_border_is_refused_as_a_station_is(
    logistics: httpx.AsyncClient,
) -> None:
    """AMap's numbers of a point of 离石区 sent as WGS-84 lie in 文水县, within the 500 m
    tolerance: refused naming both counties and the crs that fits (``common.placement``),
    kept when sent as gcj02, or confirmed after a look at the map."""
    wrong = depot(location=dict(zip(("lon", "lat"), AS_AMAP_GIVES_IT, strict=True)))
    body = problem(await put(logistics, wrong, LISHI_OFFICIAL | ZH), 422, "in_other_county")
    assert body["field"] == "location"
    assert (body["county_code"], body["other_county_code"]) == (LISHI, WENSHUI)
    assert body["likely_crs"] == "gcj02"
    assert "落在文水县" in body["detail"]

    r = await put(logistics, wrong | {"crs": "gcj02"})
    assert r.status_code == 201, r.text
    assert (r.json()["location"]["lon"], r.json()["location"]["lat"]) == pytest.approx(
        IN_LISHI, abs=1e-6
    )

    rows = [
        wrong | {"code": "LS-GX-02"},
        wrong | {"code": "LS-GX-03", "confirm_location": True},
    ]
    r = await logistics.post("/v1/depots/bulk", json=rows, headers=LISHI_OFFICIAL)
    results = r.json()["results"]
    assert [(i["status"], i.get("code")) for i in results] == [
        ("rejected", "in_other_county"),
        ("created", None),
    ], r.text
    assert "crs=gcj02" in results[0]["message"]
