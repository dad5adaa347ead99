"""Dashboards through the gateway: every indicator beside every target the division is
measured against, with the ADR 0071 status; children sorted by the worst; bad input."""

from datetime import date
from decimal import Decimal

import asyncpg
import httpx
import pytest

from common.auth import Role
from common.indicators import VOCABULARY
from common.months import china_today
from tests.gateway.conftest import Front, user_headers
from tests.gateway.registry import scene
from tests.support import problem

COUNTY_OFFICIAL = user_headers(Role.OFFICIAL, division=scene.COUNTY)
ZH = {"Accept-Language": "zh"}


@pytest.fixture
async def adopted(front: Front, db: asyncpg.Pool) -> scene.Scene:
    built = await scene.build(
        db, front.services["logistics"], front.services["training"], locations=False
    )
    await scene.adopt(front.services["programme"])
    return built


async def _townships(db: asyncpg.Pool) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM stations.division WHERE code LIKE '141102%' AND level = 'township'"
        " AND division_class IN ('town', 'township', 'township_like') AND until_edition IS NULL"
    )


async def test_a_county_against_its_adopted_targets(
    client: httpx.AsyncClient, adopted: scene.Scene, db: asyncpg.Pool
) -> None:
    r = await client.get(f"/registry/v1/dashboards/{scene.COUNTY}", headers=COUNTY_OFFICIAL)
    assert r.status_code == 200, r.text
    board = r.json()
    assert (board["partial"], board["errors"]) == (False, [])
    assert board["period"] == {
        "label": str(china_today().year),
        "from": f"{china_today().year}-01-01",
        "to": china_today().isoformat(),
    }
    assert [i["code"] for i in board["indicators"]] == [c.value for c in VOCABULARY]
    county = board["division"]
    assert (county["code"], county["name"], county["level"]) == ("141102000000", "离石区", "county")
    coverage = Decimal(county["values"]["township_station_coverage"])
    assert coverage == Decimal(2) / await _townships(db) * 100
    assert Decimal(county["values"]["persons_trained"]) == 2
    assert Decimal(county["values"]["rural_stations"]) == 4  # two townships, two points

    targets = {t["indicator"]: t for t in county["targets"]}
    assert set(targets) == {
        "township_station_coverage", "village_point_coverage", "poor_village_point_coverage",
        "main_products_online_share", "rural_online_retail_growth",
        "farm_produce_online_retail_growth", "persons_trained",
    }  # fmt: skip
    township = targets["township_station_coverage"]
    assert township["target_set"] == "shanxi-2017"
    assert (Decimal(township["target"]), township["deadline"]) == (100, None)
    assert Decimal(township["gap"]) == 100 - coverage
    assert (township["status"], township["status_zh"]) == ("behind", "进度滞后")  # no deadline
    # A flow target without a period counts from its set's year.
    trained = targets["persons_trained"]
    assert (trained["counted_from"], trained["counted_to"]) == (
        "2017-01-01",
        china_today().isoformat(),
    )
    assert Decimal(trained["value"]) == 2
    # No statistics recorded: no figure, no status.
    assert targets["rural_online_retail_growth"]["status"] == "no_data"
    assert county["worst"] == "behind"

    # Children: the county's townships, worst first; a township has no targets.
    children = board["children"]
    assert board["sort"] == "worst"
    assert {c["level"] for c in children} == {"township"}
    wucheng = next(c for c in children if c["code"] == scene.WUCHENG)
    assert Decimal(wucheng["values"]["township_station_coverage"]) == 100
    assert "rural_online_retail" not in wucheng["values"]  # programme counts counties only
    by_code = await client.get(
        f"/registry/v1/dashboards/{scene.COUNTY}",
        params={"sort": "code"},
        headers=COUNTY_OFFICIAL,
    )
    codes = [c["code"] for c in by_code.json()["children"]]
    assert codes == sorted(codes)
    by_value = await client.get(
        f"/registry/v1/dashboards/{scene.COUNTY}",
        params={"sort": "township_station_coverage"},
        headers=COUNTY_OFFICIAL,
    )
    values = [c["values"]["township_station_coverage"] for c in by_value.json()["children"]]
    present = [Decimal(v) for v in values if v is not None]
    assert present == sorted(present)


async def test_a_prefecture_measured_against_its_regions_sets(
    client: httpx.AsyncClient, adopted: scene.Scene
) -> None:
    shanxi = user_headers(Role.OFFICIAL, division="14")
    r = await client.get("/registry/v1/dashboards/1411", headers=shanxi)
    assert r.status_code == 200, r.text
    board = r.json()
    targets = {(t["target_set"], t["indicator"]) for t in board["division"]["targets"]}
    assert ("lvliang-2016", "training_people_times") in targets
    assert ("shanxi-2017", "persons_trained") in targets
    lvliang = next(t for t in board["division"]["targets"] if t["target_set"] == "lvliang-2016")
    assert lvliang["per_year"] is True
    assert lvliang["counted_from"] == date(china_today().year, 1, 1).isoformat()
    assert lvliang["status"] == "overdue"  # each year to 2018: long past
    children = {c["code"]: c for c in board["children"]}
    assert {c["level"] for c in children.values()} == {"county"}
    lishi = children["141102000000"]
    assert {t["target_set"] for t in lishi["targets"]} == {"shanxi-2017"}  # what it adopted
    assert children["141124000000"]["targets"] == []
    assert board["children"][0]["worst"] is not None  # the counties with targets come first


async def test_bad_input(client: httpx.AsyncClient) -> None:
    url = "/registry/v1/dashboards"
    problem(
        await client.get(f"{url}/99", headers=user_headers()), 404, "division_not_found", "division"
    )
    level = problem(
        await client.get(f"{url}/141102100", headers=user_headers() | ZH),
        422, "wrong_division_level", "division",
    )  # fmt: skip
    assert "乡级" in level["detail"]
    problem(
        await client.get(f"{url}/14x", headers=user_headers()),
        422,
        "invalid_division_code",
        "division",
    )
    outside = problem(
        await client.get(f"{url}/141102", headers=user_headers(Role.OFFICIAL, division="141124") | ZH),
        403, "outside_scope",
    )  # fmt: skip
    assert "管辖范围" in outside["detail"]
    problem(await client.get(f"{url}/141102"), 401, "authentication_required")
    problem(
        await client.get(f"{url}/141102", params={"period": "2999-Q1"}, headers=COUNTY_OFFICIAL),
        422, "future_period", "period",
    )  # fmt: skip
    problem(
        await client.get(f"{url}/141102", params={"period": "26"}, headers=COUNTY_OFFICIAL),
        422, "invalid_period", "period",
    )  # fmt: skip
    problem(
        await client.get(f"{url}/141102", params={"sort": "best"}, headers=COUNTY_OFFICIAL),
        422, "invalid_sort", "sort",
    )  # fmt: skip
