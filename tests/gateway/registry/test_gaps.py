"""Cross-service gap lists through the gateway: each row with its reasons, pages that resume
where the last left off, against an independent count."""

import asyncpg
import httpx
import pytest

from tests.gateway.conftest import Front, local
from tests.gateway.registry import scene
from tests.stations.factories import flag_poor_village
from tests.support import problem

URL = "/registry/v1/gaps"


@pytest.fixture
async def built(front: Front, db: asyncpg.Pool) -> scene.Scene:
    return await scene.build(
        db, front.services["logistics"], front.services["training"], locations=False
    )


async def _items(client: httpx.AsyncClient, kind: str, **params: str) -> list[dict[str, object]]:
    r = await client.get(f"{URL}/{kind}", params={"division": scene.COUNTY, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_each_list_with_its_reasons(client: httpx.AsyncClient, built: scene.Scene) -> None:
    [no_carrier] = await _items(client, "points-without-carrier")
    assert (no_carrier["station_code"], no_carrier["reasons"]) == (built.bare_point, ["no_carrier"])
    assert no_carrier["reason_zh"] == "没有快递公司覆盖该村"
    [untrained] = await _items(client, "points-without-trained")
    assert (untrained["division_code"], untrained["reasons"]) == (
        scene.XIALUOBAO,
        ["nobody_trained"],
    )
    [township] = await _items(client, "townships-without-courier")
    assert (township["station_code"], township["reasons"]) == (built.bare_township, ["no_courier"])
    [poor] = await _items(client, "poor-villages-unserved")
    assert poor["division_code"] == scene.POOR
    assert poor["reasons"] == ["no_operating_point", "no_carrier", "nobody_trained"]
    assert poor["reason"] == (
        "no operating or accepted village point; no carrier covers its village; "
        "no resident trained in the period"
    )
    # Another division holds none of them.
    assert await _items(client, "points-without-carrier", division="141124") == []


async def test_pages_resume_where_they_left_off(
    client: httpx.AsyncClient, built: scene.Scene, db: asyncpg.Pool
) -> None:
    villages = await db.fetch(
        "SELECT code FROM stations.division WHERE code LIKE '1411021%' AND level = 'village'"
        " AND division_class = 'village_committee' AND until_edition IS NULL ORDER BY code"
        " LIMIT 7"
    )
    for row in villages:
        await flag_poor_village(db, row["code"])
    # Independent: every flagged poor village but those with an operating point, a carrier
    # or a trained resident (the scene's 街上村 has all three; 下罗堡村 has a point).
    expected = await db.fetch(
        "SELECT f.code FROM stations.division_flag f WHERE f.poor_village AND f.code LIKE '141102%'"
        " AND f.code NOT IN (SELECT division_code FROM stations.station"
        "                    WHERE status IN ('operating', 'accepted'))"
        " AND f.code <> $1 ORDER BY f.code",
        scene.POOR_WITH_CARRIER,
    )
    seen: list[str] = []
    url: str | None = f"{URL}/poor-villages-unserved?division={scene.COUNTY}&limit=2"
    pages = 0
    while url is not None:
        r = await client.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= 2
        seen += [i["division_code"] for i in body["items"]]
        url = local(body["next"]) if body.get("next") else None
        pages += 1
    assert seen == [r["code"] for r in expected]
    assert pages >= len(expected) // 2


async def test_bad_input(client: httpx.AsyncClient) -> None:
    problem(await client.get(f"{URL}/points-without-carrier", params={"division": "99"}), 404,
            "division_not_found", "division")  # fmt: skip
    village = problem(
        await client.get(f"{URL}/points-without-carrier", params={"division": scene.JIESHANG},
                         headers={"Accept-Language": "zh"}),
        422, "wrong_division_level", "division",
    )  # fmt: skip
    assert "村级" in village["detail"]
    problem(await client.get(f"{URL}/points-without-carrier", params={"cursor": "bm9wZQ"}), 400,
            "invalid_cursor", "cursor")  # fmt: skip
    problem(await client.get(f"{URL}/points-without-trained", params={"period": "2999"}), 422,
            "future_period", "period")  # fmt: skip
    problem(await client.get(f"{URL}/nowhere"), 422, "validation_failed", "kind")
