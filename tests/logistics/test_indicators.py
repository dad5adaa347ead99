"""Logistics indicators against an independent count, gap lists, and which carriers reach a
point — all from logistics' own tables."""

import asyncpg
import httpx

from common.auth import Role
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    LISHI,
    LISHI_OFFICIAL,
    SF,
    WUCHENG,
    XIALUOBAO,
    ZAOLIN,
    ZAOLIN_VILLAGE,
    ZTO,
    add_point,
    coverage,
)
from tests.support import internal_headers, problem

PUBLIC = internal_headers(Role.PUBLIC, subject="anonymous")


async def test_coverage_indicators_and_gaps(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    for division in (JIESHANG, XIALUOBAO, ZAOLIN_VILLAGE):
        await add_point(db, division)
    await add_point(db, JIESHANG, seq=2, status="planned")
    rows = [
        coverage(JIESHANG, carrier="zto"),
        coverage(ZAOLIN, carrier="sf", mode="via_township_hub"),
        coverage(XIALUOBAO, carrier="yto", mode="postal", valid_to="2026-05-31"),
    ]
    r = await logistics.post("/v1/coverage/bulk", json=rows, headers=ADMIN)
    assert r.json()["counts"]["created"] == 3, r.text
    hub = {
        "code": "WC-HUB",
        "kind": "township_hub",
        "name": "吴城网点",
        "division_code": WUCHENG,
        "operator_carrier": "zto",
    }
    centre = {"code": "LS-C", "kind": "county_centre", "name": "离石中心", "division_code": LISHI, "operator_name": "供销物流", "carriers": ["zto", "sf", "yto"]}  # fmt: skip
    for depot in (hub, centre):
        assert (
            await logistics.put(f"/v1/depots/{depot['code']}", json=depot, headers=ADMIN)
        ).status_code == 201

    townships = await db.fetchval(
        "SELECT count(*) FROM logistics.reference_division WHERE code LIKE '141102%'"
        " AND level = 'township' AND division_class <> 'subdistrict' AND until_edition IS NULL"
    )
    june = await logistics.get(
        "/v1/indicators/coverage",
        params={"division": "141102", "as_of": "2026-06-15"},
        headers=PUBLIC,
    )
    assert june.status_code == 200, june.text
    body = june.json()
    assert body["division"] == {"code": LISHI, "name": "离石区", "level": "county"}
    assert body["township_coverage"] == {
        "reached": 2,
        "total": townships,
        "unreached": townships - 2,
        "rate": 2 / townships,
    }
    assert body["frequent_township_coverage"]["reached"] == 2  # 6 deliveries a week ≥ 5
    assert body["townships_with_hub"]["reached"] == 1
    assert body["village_points_with_carrier"] == {
        "reached": 1,
        "total": 3,
        "unreached": 2,
        "rate": 1 / 3,
    }
    assert body["village_points_by_mode"]["direct"]["reached"] == 1
    assert body["village_points_by_mode"]["postal"]["reached"] == 0
    assert body["carriers_per_township"]["distribution"] == {
        "0": townships - 2,
        "1": 2,
        "2": 0,
        "3+": 0,
    }
    assert body["depots"] == {
        "active": 2,
        "by_kind": {"county_centre": 1, "township_hub": 1},
        "shared": 1,
        "shared_rate": 0.5,
    }
    march = (
        await logistics.get(
            "/v1/indicators/coverage",
            params={"division": "1411", "as_of": "2026-03-01", "min_deliveries": 7},
            headers=PUBLIC,
        )
    ).json()
    assert march["village_points_with_carrier"]["reached"] == 2
    assert march["frequent_township_coverage"]["reached"] == 0
    nation = (
        await logistics.get(
            "/v1/indicators/coverage", params={"as_of": "2026-03-01"}, headers=PUBLIC
        )
    ).json()
    assert nation["division"]["level"] == "nation"
    assert nation["village_points_with_carrier"] == march["village_points_with_carrier"]

    gaps = await logistics.get(
        "/v1/indicators/gaps/points-without-carrier",
        params={"division": "141102", "as_of": "2026-06-15"},
        headers=PUBLIC,
    )
    assert [g["code"] for g in gaps.json()["items"]] == [f"{XIALUOBAO}-01", f"{ZAOLIN_VILLAGE}-01"]
    seen: list[str] = []
    url = "/v1/indicators/gaps/townships-without-courier"
    params: dict[str, str] = {"division": "141102", "as_of": "2026-06-15", "limit": "5"}
    while url:
        page = (await logistics.get(url, params=params, headers=PUBLIC)).json()
        seen += [g["code"] for g in page["items"]]
        url, params = page.get("next") or "", {}
    assert len(seen) == townships - 2 == len(set(seen))
    assert WUCHENG not in seen
    assert ZAOLIN not in seen
    problem(
        await logistics.get(
            "/v1/indicators/coverage", params={"division": "14110"}, headers=PUBLIC
        ),
        422,
        "invalid_division",
    )
    problem(
        await logistics.get(
            "/v1/indicators/coverage", params={"division": "141199"}, headers=PUBLIC
        ),
        404,
        "division_not_found",
    )

    point = (
        await logistics.get(
            f"/v1/points/{JIESHANG}-01/carriers",
            params={"as_of": "2026-06-15"},
            headers=LISHI_OFFICIAL,
        )
    ).json()
    assert [c["carrier"] for c in point["carriers"]] == ["zto"]
    assert point["township_only"] == []
    zaolin = (await logistics.get(f"/v1/points/{ZAOLIN_VILLAGE}-01/carriers", headers=SF)).json()
    assert (
        [c["carrier"] for c in zaolin["carriers"]],
        [c["carrier"] for c in zaolin["township_only"]],
    ) == ([], ["sf"])
    assert (await logistics.get(f"/v1/points/{ZAOLIN_VILLAGE}-01/carriers", headers=ZTO)).json()[
        "township_only"
    ] == []
    problem(
        await logistics.get(f"/v1/points/{JIESHANG}-09/carriers", headers=ZTO),
        404,
        "station_not_found",
    )


async def test_volumes_by_month(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await add_point(db, JIESHANG)
    days = [("2026-10-31", 10, 100), ("2026-11-01", 20, 300), ("2026-11-11", 70, 900)]
    rows = [
        {"carrier": "zto", "day": day, "station_code": f"{JIESHANG}-01", "outbound_parcels": up,
         "outbound_weight_kg": up, "inbound_parcels": down, "inbound_weight_kg": down}
        for day, up, down in days
    ]  # fmt: skip
    assert (await logistics.post("/v1/volumes/bulk", json=rows, headers=ZTO)).json()["counts"][
        "created"
    ] == 3
    params = {"division": "141102", "from": "2026-10", "to": "2026/12"}
    r = await logistics.get("/v1/indicators/volumes", params=params, headers=LISHI_OFFICIAL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(m["month"], m["outbound_parcels"], m["inbound_parcels"]) for m in body["months"]] == [
        ("2026-10", 10, 100),
        ("2026-11", 90, 1200),
        ("2026-12", 0, 0),
    ]
    assert (body["total"]["outbound_parcels"], body["total"]["outbound_share"]) == (100, 100 / 1400)
    assert body["months"][1]["inbound_weight_kg"] == "1200.0"
    problem(
        await logistics.get("/v1/indicators/volumes", params=params, headers=PUBLIC),
        401,
        "authentication_required",
    )
    problem(
        await logistics.get("/v1/indicators/volumes", params=params, headers=ZTO),
        403,
        "role_forbidden",
    )
    problem(
        await logistics.get(
            "/v1/indicators/volumes", params={**params, "from": "2027-01"}, headers=LISHI_OFFICIAL
        ),
        422,
        "invalid_range",
    )
