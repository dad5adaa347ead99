"""The divisions read API on the bundled seed regions, counted independently from the seed
file itself, and the classification the importer does in SQL held to common.identifiers."""

import csv
import gzip
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest
from shapely.geometry import Point, shape

from common.auth import Role
from common.identifiers import (
    DivisionLevel,
    division_class,
    division_level,
    normalize_division_code,
    parent_code,
)
from services.stations.divisions.seed import SEED_DIR
from tests.support import internal_headers

ADMIN = internal_headers(Role.ADMIN)
PUBLIC = internal_headers(Role.PUBLIC)
LINXIAN = "141124000000"  # 临县, Lüliang


def _seed_rows() -> list[tuple[str, str]]:
    with gzip.open(SEED_DIR / "divisions.csv.gz", "rt", encoding="utf-8", newline="") as f:
        return [(normalize_division_code(r["code"]), r["name"]) for r in csv.DictReader(f)]


SEED = _seed_rows()


def _seed_count(prefix: str, level: DivisionLevel, cls: str | None = None) -> int:
    return sum(
        1
        for code, _ in SEED
        if code.startswith(prefix)
        and division_level(code) is level
        and (cls is None or (division_class(code) or "") == cls)
    )


async def _all(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following ``next``."""
    items: list[dict[str, Any]] = []
    r = await client.get(url, params=params, headers=PUBLIC)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        items.extend(body["items"])
        if not body.get("next"):
            return items
        r = await client.get(body["next"], headers=PUBLIC)


@pytest.mark.parametrize(
    ("prefix", "counties", "townships", "villages"),
    [
        # The published figures (shared/data/README.md).
        ("1411", 13, 154, 2456),  # Lüliang
        ("3311", 9, 173, 2008),  # Lishui
        ("5328", 1, 17, 160),  # Jinghong 532801 is Xishuangbanna's only county in the seed
        ("3415", 1, 6, 77),  # Yeji 341504
    ],
)
async def test_seed_regions_counted_through_the_api(
    stations: httpx.AsyncClient, prefix: str, counties: int, townships: int, villages: int
) -> None:
    for level, expected in (
        (DivisionLevel.COUNTY, counties),
        (DivisionLevel.TOWNSHIP, townships),
        (DivisionLevel.VILLAGE, villages),
    ):
        assert _seed_count(prefix, level) == expected  # the seed file itself
        found = await _all(stations, "/v1/divisions", under=prefix, level=level.value, limit=500)
        assert len(found) == expected, (prefix, level)
        assert len({d["code"] for d in found}) == expected
        assert all(d["code"].startswith(prefix) and d["level"] == level for d in found)


async def test_importer_classifies_as_common_identifiers(db: asyncpg.Pool) -> None:
    rows = await db.fetch(
        "SELECT code, name, level, division_class, parent_code, since_edition, until_edition"
        " FROM stations.division"
    )
    assert len(rows) == len({code for code, _ in SEED})
    names = dict(SEED)
    for row in rows:
        code = row["code"]
        assert row["name"] == names[code].strip()
        assert row["level"] == division_level(code)
        cls = division_class(code)
        assert row["division_class"] == (cls.value if cls else None), code
        assert row["parent_code"] == parent_code(code)
        assert (row["since_edition"], row["until_edition"]) == (2023, None)


async def test_county_with_ancestors(stations: httpx.AsyncClient) -> None:
    for code in ("141124", LINXIAN):
        r = await stations.get(f"/v1/divisions/{code}", headers=PUBLIC)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["code"] == LINXIAN
        assert body["name"] == "临县"
        assert body["level"] == "county"
        assert body["class"] is None
        assert body["parent_code"] == "141100000000"
        assert [(a["code"], a["name"], a["level"]) for a in body["ancestors"]] == [
            ("140000000000", "山西省", "province"),
            ("141100000000", "吕梁市", "prefecture"),
        ]
        assert body["since_edition"] == 2023
        assert body["until_edition"] is None
        assert body["current"] is True
        assert body["county_level"] is True
        assert body["has_boundary"] is True
        assert body["flags"] == {
            "poverty_county": False,
            "poor_village": False,
            "demonstration_year": None,
            "version": 0,
            "updated_by": None,
            "updated_at": None,
        }


async def test_village_with_ancestors(stations: httpx.AsyncClient) -> None:
    village = next(
        (code, name)
        for code, name in SEED
        if code.startswith("141124102") and division_class(code) == "village_committee"
    )
    r = await stations.get(f"/v1/divisions/{village[0]}", headers=PUBLIC)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == village[1]
    assert body["level"] == "village"
    assert body["class"] == "village_committee"
    assert body["county_level"] is False
    assert body["has_boundary"] is False
    assert [a["code"] for a in body["ancestors"]] == [
        "140000000000",
        "141100000000",
        LINXIAN,
        "141124102000",
    ]
    assert body["ancestors"][-1]["name"] == "城庄镇"


async def test_township_by_short_code(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/divisions/141124200", headers=PUBLIC)
    assert r.status_code == 200, r.text
    assert (r.json()["code"], r.json()["class"]) == ("141124200000", "township")  # 木瓜坪乡


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("14112", 422, "invalid_division_code"),
        ("1411240000001", 422, "invalid_division_code"),
        ("14112400000x", 422, "invalid_division_code"),
        ("141124000201", 422, "invalid_division_code"),  # a village without its township
        ("149999000000", 404, "division_not_found"),
        ("141124999", 404, "division_not_found"),
    ],
)
async def test_bad_codes(stations: httpx.AsyncClient, code: str, status: int, problem: str) -> None:
    for suffix in ("", "/children", "/boundary", "/flags"):
        r = await stations.get(f"/v1/divisions/{code}{suffix}", headers=PUBLIC)
        assert r.status_code == status, (suffix, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["code"] == problem
        assert body["field"] == "code"
        assert body["errors"][0]["location"] == "path"


async def test_chinese_problem_detail(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/divisions/149999", headers={**PUBLIC, "Accept-Language": "zh-CN"})
    assert r.status_code == 404
    assert "没有区划代码" in r.json()["detail"]


async def test_reading_needs_a_token(stations: httpx.AsyncClient) -> None:
    r = await stations.get(f"/v1/divisions/{LINXIAN}")
    assert r.status_code == 401
    assert r.json()["code"] == "token_missing"


async def test_children_paginated(stations: httpx.AsyncClient) -> None:
    expected = sorted(
        code
        for code, _ in SEED
        if code.startswith("141124") and division_level(code) is DivisionLevel.TOWNSHIP
    )
    first = await stations.get(f"/v1/divisions/{LINXIAN}/children?limit=5", headers=PUBLIC)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 5
    assert "cursor=" in first.json()["next"]
    items = await _all(stations, "/v1/divisions/141124/children", limit=5)
    assert [d["code"] for d in items] == expected
    assert all(d["parent_code"] == LINXIAN for d in items)
    villages = await _all(stations, "/v1/divisions/141124102/children", limit=500)
    assert len(villages) == sum(
        1 for code, _ in SEED if code.startswith("141124102") and code[9:] != "000"
    )
    leaves = await _all(stations, f"/v1/divisions/{villages[0]['code']}/children")
    assert leaves == []


async def test_bad_cursor(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/divisions/141124/children?cursor=%%%", headers=PUBLIC)
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["field"]) == ("invalid_cursor", "cursor")


async def test_search_by_name_level_and_class(stations: httpx.AsyncClient) -> None:
    found = await _all(stations, "/v1/divisions", q="临")
    expected = sorted(code for code, name in SEED if "临" in name)
    assert [d["code"] for d in found] == expected
    assert LINXIAN in expected

    found = await _all(stations, "/v1/divisions", q="镇", level="township", under="141124")
    assert {d["name"] for d in found} >= {"临泉镇", "碛口镇"}
    assert all(d["class"] == "town" for d in found)

    committees = await _all(
        stations, "/v1/divisions", under="141124", **{"class": "village_committee"}, limit=500
    )
    assert len(committees) == _seed_count("141124", DivisionLevel.VILLAGE, "village_committee")
    assert all(d["class"] == "village_committee" for d in committees)

    # A 12-digit ancestor code works as well as its leading digits; the ancestor is not listed.
    by_code = await _all(stations, "/v1/divisions", under="141124102000", limit=500)
    by_prefix = await _all(stations, "/v1/divisions", under="141124102", limit=500)
    assert by_code == by_prefix
    assert "141124102000" not in {d["code"] for d in by_code}

    # LIKE wildcards in q are literal.
    assert await _all(stations, "/v1/divisions", q="%") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"under": "14a"}, "under"),
        ({"under": "141124000201"}, "under"),
        ({"level": "hamlet"}, "level"),
        ({"class": "bogus"}, "class"),
        ({"q": ""}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"poverty_county": "maybe"}, "poverty_county"),
    ],
)
async def test_bad_search_parameters(
    stations: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    r = await stations.get("/v1/divisions", params=params, headers=PUBLIC)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert r.json()["errors"][0]["location"] == "query"


async def test_county_boundary_as_geojson(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    r = await stations.get("/v1/divisions/141124/boundary", headers=PUBLIC)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geo+json"
    feature = r.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == LINXIAN
    assert feature["properties"]["name"] == "临县"
    assert feature["geometry"]["type"] == "MultiPolygon"
    polygon = shape(feature["geometry"])
    assert polygon.is_valid
    # 临县's seat, 临泉镇 (lon, lat): inside; 吕梁's seat 离石 (111.13, 37.52): outside.
    assert polygon.contains(Point(110.99, 37.95))
    assert not polygon.contains(Point(111.13, 37.52))
    min_x, min_y, max_x, max_y = feature["bbox"]
    assert polygon.bounds == pytest.approx((min_x, min_y, max_x, max_y), abs=1e-5)
    area = await db.fetchval(
        "SELECT ST_Area(geom) FROM stations.county_boundary WHERE county_code = $1", LINXIAN
    )
    assert polygon.area == pytest.approx(area, rel=1e-4)

    small = await stations.get("/v1/divisions/141124/boundary?simplify=0.01", headers=PUBLIC)
    assert small.status_code == 200
    assert len(small.content) < len(r.content) / 2
    assert shape(small.json()["geometry"]).area == pytest.approx(area, rel=0.05)


async def test_boundary_of_a_non_county(stations: httpx.AsyncClient) -> None:
    for code, level in (("141124100", "township"), ("1411", "prefecture"), ("14", "province")):
        r = await stations.get(f"/v1/divisions/{code}/boundary", headers=PUBLIC)
        assert r.status_code == 404, r.text
        body = r.json()
        assert (body["code"], body["field"]) == ("not_county_level", "code")
        assert level in body["detail"]
    r = await stations.get("/v1/divisions/141124/boundary?simplify=1", headers=PUBLIC)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "simplify"


async def test_openapi_documents_the_routes(stations: httpx.AsyncClient) -> None:
    spec = (await stations.get("/openapi.json")).json()
    paths = spec["paths"]
    assert {"404", "422"} <= set(paths["/v1/divisions/{code}"]["get"]["responses"])
    put = paths["/v1/divisions/{code}/flags"]["put"]
    assert {"403", "404", "412", "422"} <= set(put["responses"])
    bulk = paths["/v1/divisions/flags/bulk"]["post"]
    assert {"application/json", "text/csv", "application/x-ndjson"} <= set(
        bulk["requestBody"]["content"]
    )
    boundary = paths["/v1/divisions/{code}/boundary"]["get"]["responses"]["200"]
    assert "application/geo+json" in boundary["content"]


def test_seed_class_mix_is_plausible() -> None:
    """Guards the independent counting above: the seed has every class it should."""
    classes = Counter(division_class(code) for code, _ in SEED)
    assert classes["village_committee"] > classes["residents_committee"] > 0
    assert min(classes["town"], classes["township"], classes["subdistrict"]) > 0


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("441900000000", DivisionLevel.PREFECTURE, "440000000000"),  # 东莞市: no counties
        ("441900003000", DivisionLevel.TOWNSHIP, "441900000000"),  # 东城街道
        ("441900003001", DivisionLevel.VILLAGE, "441900003000"),
    ],
)
def test_cities_without_counties(code: str, level: DivisionLevel, parent: str) -> None:
    assert division_level(code) is level
    assert parent_code(code) == parent
