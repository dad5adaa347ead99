"""Coverage: history kept period by period, "as of" reads, every bad input its own problem,
carriers fenced to their own rows."""

from typing import Any

import asyncpg
import httpx

from common.auth import Role
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    LIN_OFFICIAL,
    LISHI,
    LISHI_OFFICIAL,
    RESIDENTS,
    SF,
    SUBDISTRICT,
    WUCHENG,
    XIALUOBAO,
    ZH,
    ZTO,
    add_point,
    coverage,
    retired_code,
)
from tests.support import internal_headers, problem


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], headers: Any = ZTO
) -> httpx.Response:
    return await client.post("/v1/coverage", json=body, headers=headers)


async def test_history_period_by_period(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    first = await post(logistics, coverage())
    assert first.status_code == 201, first.text
    assert first.json() | {"id": 0} == first.json() | {
        "id": 0,
        "carrier": "zto",
        "division_name": "街上村委会",
        "level": "village",
        "source": "carrier_upload",
        "valid_to": None,
        "outcome": "created",
    }
    again = await post(logistics, coverage(valid_from="2026-03-01"))
    assert (again.status_code, again.json()["outcome"], again.json()["id"]) == (
        200,
        "unchanged",
        first.json()["id"],
    )

    # Twice as many deliveries from June: the January period ends on 31 May.
    june = await post(logistics, coverage(deliveries_per_week=12, valid_from="2026-06-01"))
    assert (june.status_code, june.json()["outcome"]) == (200, "updated")

    async def on(day: str) -> list[tuple[str, int]]:
        r = await logistics.get(
            "/v1/coverage", params={"as_of": day, "division": LISHI}, headers=ZTO
        )
        return [(i["valid_from"], i["deliveries_per_week"]) for i in r.json()["items"]]

    assert await on("2026-03-01") == [("2026-01-01", 6)]
    assert await on("2026-07-01") == [("2026-06-01", 12)]
    assert await on("2025-12-31") == []

    # A correction from the same first day replaces it; the history keeps both.
    fixed = await post(logistics, coverage(deliveries_per_week=10, valid_from="2026-06-01"))
    assert fixed.json()["outcome"] == "updated"
    assert await on("2026-07-01") == [("2026-06-01", 10)]
    # Service ends on 30 September.
    ended = await post(
        logistics, coverage(deliveries_per_week=10, valid_from="2026-06-01", valid_to="2026-09-30")
    )
    assert (ended.json()["outcome"], ended.json()["valid_to"]) == ("updated", "2026-09-30")
    assert await on("2026-10-01") == []

    history = await logistics.get("/v1/coverage", params={"history": "true"}, headers=ZTO)
    rows = [
        (i["valid_from"], i["valid_to"], i["deliveries_per_week"], i["superseded_at"] is not None)
        for i in history.json()["items"]
    ]
    assert rows == [
        ("2026-01-01", "2026-05-31", 6, False),
        ("2026-06-01", None, 12, True),
        ("2026-06-01", "2026-09-30", 10, False),
    ]
    # Reaching back into a closed period is refused.
    body = problem(
        await post(logistics, coverage(valid_from="2026-05-01"), ZTO | ZH),
        422,
        "overlapping_validity",
        "valid_from",
    )
    assert "重叠" in body["detail"]
    # A later period after the end is a new one.
    assert (await post(logistics, coverage(valid_from="2026-11-01"))).status_code == 201

    events = (
        await logistics.get("/v1/changes", params={"topic": "coverage"}, headers=ADMIN)
    ).json()["items"]
    assert [(e["action"], e["version"]) for e in events] == [
        ("created", 1),
        ("closed", 2),
        ("created", 1),
        ("superseded", 2),
        ("created", 1),
        ("closed", 2),
        ("created", 1),
    ]
    assert "recorded_by" not in events[0]["payload"]


BAD_INPUT: list[tuple[dict[str, Any], int, str, str]] = [
    ({"carrier": "kuaidi"}, 422, "unknown_carrier", "carrier"),
    ({"division_code": LISHI}, 422, "wrong_division_level", "division_code"),
    ({"division_code": RESIDENTS}, 422, "wrong_division_class", "division_code"),
    ({"division_code": SUBDISTRICT}, 422, "wrong_division_class", "division_code"),
    ({"division_code": "141102100298"}, 422, "unknown_division", "division_code"),
    ({"division_code": "1411021002"}, 422, "invalid_division_code", "division_code"),
    ({"pickups_per_week": -1}, 422, "negative_frequency", "pickups_per_week"),
    ({"deliveries_per_week": 30}, 422, "frequency_too_high", "deliveries_per_week"),
    ({"pickups_per_week": 15}, 422, "frequency_too_high", "pickups_per_week"),
    ({"valid_to": "2025-12-31"}, 422, "valid_to_before_valid_from", "valid_to"),
    ({"mode": "drone"}, 422, "enum", "mode"),
    ({"station_code": "141102100202-01"}, 422, "station_elsewhere", "station_code"),
    ({"station_code": "141102100200-07"}, 422, "unknown_station", "station_code"),
    ({"carrier": "SF"}, 403, "not_your_carrier", "carrier"),
]


async def test_bad_input(logistics: httpx.AsyncClient) -> None:
    """Each a 4xx with its code and field, in Chinese when asked (one test: these write
    nothing, and every test pays for cleaning the database)."""
    for fields, status, code, field in BAD_INPUT:
        r = await post(logistics, coverage(**fields), ZTO | ZH)
        assert r.status_code == status, (fields, r.text)
        body = r.json()
        # Our own rules answer with their code; field checks inside validation_failed.
        assert code in (body["code"], body["errors"][0]["code"]), (fields, body)
        assert body["field"] == field, (fields, body)
        text = body["detail"] + body["errors"][0]["detail"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (fields, body)


async def test_retired_codes_and_closed_points(
    logistics: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    async with retired_code(db) as code:
        body = problem(
            await post(logistics, coverage(code), ZTO | ZH),
            422,
            "division_not_current",
            "division_code",
        )
        assert "已撤销" in body["detail"]
    point = await add_point(db, JIESHANG, status="closed")
    problem(
        await post(logistics, coverage(station_code=point)), 409, "station_closed", "station_code"
    )


async def test_carriers_and_officials_see_and_write_only_their_own(
    logistics: httpx.AsyncClient,
) -> None:
    mine = (await post(logistics, coverage())).json()
    theirs = (await post(logistics, coverage(XIALUOBAO, carrier="shunfeng"), SF)).json()
    assert (await logistics.get(f"/v1/coverage/{theirs['id']}", headers=SF)).status_code == 200
    problem(
        await logistics.get(f"/v1/coverage/{mine['id']}", headers=SF), 404, "coverage_not_found"
    )
    listed = (await logistics.get("/v1/coverage", headers=SF)).json()["items"]
    assert [i["id"] for i in listed] == [theirs["id"]]
    asked = (await logistics.get("/v1/coverage", params={"carrier": "zto"}, headers=SF)).json()
    assert asked["items"] == []

    # Officials: their division, as an official survey.
    survey = await post(
        logistics, coverage(WUCHENG, carrier="YTO", mode="via_township_hub"), LISHI_OFFICIAL
    )
    assert (survey.status_code, survey.json()["source"]) == (201, "official_survey")
    problem(await post(logistics, coverage(carrier="YTO"), LIN_OFFICIAL), 403, "outside_scope")
    problem(
        await logistics.get(f"/v1/coverage/{mine['id']}", headers=LIN_OFFICIAL),
        404,
        "coverage_not_found",
    )
    assert len((await logistics.get("/v1/coverage", headers=LISHI_OFFICIAL)).json()["items"]) == 3
    assert (await logistics.get("/v1/coverage", headers=LIN_OFFICIAL)).json()["items"] == []


async def test_credentials_may_name_the_carrier_by_an_aggregator_code(
    logistics: httpx.AsyncClient,
) -> None:
    """The gateway's machine clients take kuaidi100 codes: such a carrier is ours all the same."""
    zhongtong = internal_headers(Role.CARRIER, subject="client:rn-1", carrier="zhongtong")
    r = await post(logistics, coverage(carrier="zto"), zhongtong)
    assert r.status_code == 201, r.text
    assert (
        await logistics.get(f"/v1/coverage/{r.json()['id']}", headers=zhongtong)
    ).status_code == 200
    problem(
        await post(logistics, coverage(XIALUOBAO, carrier="sf"), zhongtong), 403, "not_your_carrier"
    )
