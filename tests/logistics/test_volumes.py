"""Daily parcel volumes: one row per carrier, place and day, revisions kept; every bad input
its own problem; carriers fenced to their own figures."""

from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from common.auth import Role
from common.months import china_today
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    LIN_OFFICIAL,
    LISHI_OFFICIAL,
    SF,
    SUBDISTRICT,
    WUCHENG,
    ZH,
    ZTO,
    add_point,
)
from tests.support import internal_headers, problem


def volume(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "carrier": "ZTO",
        "day": "2026-11-11",
        "station_code": f"{JIESHANG}-01",
        "outbound_parcels": 120,
        "outbound_weight_kg": "310.5",
        "inbound_parcels": 460,
        "inbound_weight_kg": 690,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def test_revisions_per_carrier_place_and_day(
    logistics: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await add_point(db, JIESHANG)
    first = await logistics.post("/v1/volumes", json=volume(), headers=ZTO)
    assert first.status_code == 201, first.text
    assert first.json()["volume"] | {"id": 0, "submitted_at": 0} == {
        "id": 0,
        "carrier": "zto",
        "day": "2026-11-11",
        "place_code": f"{JIESHANG}-01",
        "station_code": f"{JIESHANG}-01",
        "township_code": None,
        "division_code": JIESHANG,
        "outbound_parcels": 120,
        "outbound_weight_kg": "310.5",
        "inbound_parcels": 460,
        "inbound_weight_kg": "690.0",
        "revision": 1,
        "submitted_by": "carrier:zto",
        "submitted_at": 0,
    }
    same = await logistics.post(
        "/v1/volumes", json=volume(outbound_weight_kg="310.50"), headers=ZTO
    )
    assert (same.status_code, same.json()["outcome"], same.json()["volume"]["revision"]) == (
        200,
        "unchanged",
        1,
    )
    fixed = await logistics.post("/v1/volumes", json=volume(inbound_parcels=470), headers=ZTO)
    assert (fixed.json()["outcome"], fixed.json()["volume"]["revision"]) == ("updated", 2)
    assert [r["inbound_parcels"] for r in fixed.json()["revisions"]] == [460, 470]
    township = await logistics.post(
        "/v1/volumes", json=volume(station_code=None, township_code=WUCHENG), headers=LISHI_OFFICIAL
    )
    assert township.status_code == 201, township.text

    vid = first.json()["volume"]["id"]
    problem(await logistics.get(f"/v1/volumes/{vid}", headers=SF), 404, "volume_not_found")
    problem(
        await logistics.get(f"/v1/volumes/{vid}", headers=LIN_OFFICIAL), 404, "volume_not_found"
    )
    operator = internal_headers(Role.OPERATOR, subject="operator:1", station=f"{JIESHANG}-01")
    problem(await logistics.get("/v1/volumes", headers=operator), 403, "role_forbidden")
    assert [
        i["revision"] for i in (await logistics.get("/v1/volumes", headers=ZTO)).json()["items"]
    ] == [2, 1]
    assert (await logistics.get("/v1/volumes", headers=SF)).json()["items"] == []
    assert len((await logistics.get("/v1/volumes", headers=LISHI_OFFICIAL)).json()["items"]) == 2
    events = (
        await logistics.get("/v1/changes", params={"topic": "parcel_volume"}, headers=ADMIN)
    ).json()
    assert [(e["action"], e["version"]) for e in events["items"]] == [
        ("created", 1),
        ("revised", 2),
        ("created", 1),
    ]


def bad_volumes() -> list[tuple[dict[str, Any], Any, int, str, str]]:
    """Each bad field with the problem it gets (a point at 街上村 must exist)."""
    tomorrow = (china_today() + timedelta(days=1)).isoformat()
    return [
        ({"carrier": "kuaidi"}, ZTO, 422, "unknown_carrier", "carrier"),
        ({"day": tomorrow}, ZTO, 422, "future_day", "day"),
        ({"outbound_parcels": -3}, ZTO, 422, "negative_volume", "outbound_parcels"),
        ({"inbound_parcels": 900_000}, ZTO, 422, "volume_too_high", "inbound_parcels"),
        ({"outbound_weight_kg": 310_000}, ZTO, 422, "implausible_weight", "outbound_weight_kg"),
        ({"inbound_parcels": 0}, ZTO, 422, "implausible_weight", "inbound_weight_kg"),
        ({"township_code": WUCHENG}, ZTO, 422, "one_place_required", "station_code"),
        ({"station_code": f"{JIESHANG}-09"}, ZTO, 422, "unknown_station", "station_code"),
        (
            {"station_code": None, "township_code": SUBDISTRICT},
            ZTO,
            422,
            "wrong_division_class",
            "township_code",
        ),
        (
            {"station_code": None, "township_code": JIESHANG},
            ZTO,
            422,
            "wrong_division_level",
            "township_code",
        ),
        ({"carrier": "sf"}, ZTO, 403, "not_your_carrier", "carrier"),
        ({}, LIN_OFFICIAL, 403, "outside_scope", "station_code"),
    ]


async def test_bad_input(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await add_point(db, JIESHANG)
    for fields, headers, status, code, field in bad_volumes():
        r = await logistics.post("/v1/volumes", json=volume(**fields), headers=headers | ZH)
        assert r.status_code == status, (fields, r.text)
        body = r.json()
        assert code in (body["code"], body["errors"][0]["code"]), (fields, body)
        assert body.get("field") == field, (fields, body)
        assert any(
            "\u4e00" <= ch <= "\u9fff" for ch in body["detail"] + body["errors"][0]["detail"]
        ), body
    assert await db.fetchval("SELECT count(*) FROM logistics.parcel_volume") == 0


async def test_a_spreadsheet_of_days(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await add_point(db, JIESHANG)
    template = await logistics.get("/v1/volumes/bulk/template", headers=ZTO)
    rows = "".join(
        f'ZTO,2026/11/{day},{JIESHANG}-01,,"1,{day:03d}",{day}.5,20,30\r\n' for day in (10, 11, 11)
    )
    r = await logistics.post(
        "/v1/volumes/bulk",
        content=template.content + rows.encode(),
        headers=ZTO | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(i["index"], i["status"], i.get("code")) for i in body["results"]] == [
        (2, "created", None),
        (3, "created", None),
        (4, "rejected", "duplicate_row"),
    ]
    assert await db.fetchval("SELECT sum(outbound_parcels) FROM logistics.parcel_volume") == 2021
    assert await db.fetchval("SELECT count(*) FROM logistics.parcel_volume_revision") == 2
