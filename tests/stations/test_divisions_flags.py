"""Flags officials set on divisions: singly (PUT) and in bulk (JSON, NDJSON, CSV), with their
level rules, scope, per-row answers, dry runs and change events."""

import json
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from common.auth import Role
from tests.support import internal_headers

LINXIAN = "141124000000"  # 临县, Lüliang (Shanxi)
LISHI = "141102000000"  # 离石区, Lüliang
LIANDU = "331102000000"  # 莲都区, Lishui (Zhejiang)
TOWNSHIP = "141124102000"  # 城庄镇, 临县
VILLAGE = "141124102200"  # 城庄村委会
VILLAGE_2 = "141124102202"  # 太平村委会

# National designations are entered from the province up; a prefecture or county may not.
SHANXI_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:7", division="14")
LULIANG_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:9", division="1411")
COUNTY_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:8", division="141124")
ADMIN = internal_headers(Role.ADMIN, subject="user:1")
PUBLIC = internal_headers(Role.PUBLIC)


async def _events(db: asyncpg.Pool) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT key, action, version, payload FROM stations.change_event"
        " WHERE topic = 'division_flag' ORDER BY id"
    )


async def _flag_rows(db: asyncpg.Pool) -> dict[str, tuple[bool, bool, int | None]]:
    rows = await db.fetch(
        "SELECT code, poverty_county, poor_village, demonstration_year FROM stations.division_flag"
    )
    return {
        r["code"]: (r["poverty_county"], r["poor_village"], r["demonstration_year"]) for r in rows
    }


async def test_official_sets_county_flags(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    r = await stations.put(
        "/v1/divisions/141124/flags",
        json={"poverty_county": True, "demonstration_year": 2017},
        headers=SHANXI_OFFICIAL,
    )
    assert r.status_code == 200, r.text
    flags = r.json()
    assert flags["poverty_county"] is True
    assert flags["demonstration_year"] == 2017
    assert flags["poor_village"] is False
    assert flags["updated_by"] == "user:7"
    assert r.headers["etag"] == f'"{flags["version"]}"'

    detail = (await stations.get(f"/v1/divisions/{LINXIAN}", headers=PUBLIC)).json()
    assert detail["flags"] == flags
    got = await stations.get(f"/v1/divisions/{LINXIAN}/flags", headers=PUBLIC)
    assert got.json() == flags
    assert got.headers["etag"] == r.headers["etag"]

    assert await _flag_rows(db) == {LINXIAN: (True, False, 2017)}
    (event,) = await _events(db)
    assert (event["key"], event["action"], event["version"]) == (
        LINXIAN,
        "flags_set",
        flags["version"],
    )
    payload = json.loads(event["payload"])
    assert payload["poverty_county"] is True
    assert payload["previous"] == {
        "poverty_county": False,
        "poor_village": False,
        "demonstration_year": None,
    }

    # The same flags again change nothing and write no event.
    again = await stations.put(
        "/v1/divisions/141124/flags",
        json={"poverty_county": True, "demonstration_year": 2017},
        headers=COUNTY_OFFICIAL,
    )
    assert again.status_code == 200
    assert again.json() == flags
    assert len(await _events(db)) == 1

    # PUT replaces the set: the year left out is cleared. The version rises within a second.
    cleared = await stations.put(
        "/v1/divisions/141124/flags", json={"poverty_county": True}, headers=ADMIN
    )
    assert cleared.status_code == 200
    assert cleared.json()["demonstration_year"] is None
    assert cleared.json()["version"] > flags["version"]
    events = await _events(db)
    assert [e["version"] for e in events] == [flags["version"], cleared.json()["version"]]


async def test_poor_village(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    r = await stations.put(
        f"/v1/divisions/{VILLAGE}/flags", json={"poor_village": True}, headers=COUNTY_OFFICIAL
    )
    assert r.status_code == 200, r.text
    assert r.json()["poor_village"] is True
    found = await stations.get("/v1/divisions", params={"poor_village": "true"}, headers=PUBLIC)
    assert [d["code"] for d in found.json()["items"]] == [VILLAGE]
    not_poor = await stations.get(
        "/v1/divisions",
        params={"poor_village": "false", "under": "141124102", "limit": 500},
        headers=PUBLIC,
    )
    codes = {d["code"] for d in not_poor.json()["items"]}
    assert VILLAGE not in codes
    assert VILLAGE_2 in codes


async def test_if_match(stations: httpx.AsyncClient) -> None:
    first = await stations.put(
        "/v1/divisions/141124/flags", json={"poverty_county": True}, headers=ADMIN
    )
    tag = first.headers["etag"]
    stale = await stations.put(
        "/v1/divisions/141124/flags",
        json={"poverty_county": False},
        headers={**ADMIN, "If-Match": '"0"'},
    )
    assert stale.status_code == 412, stale.text
    assert (stale.json()["code"], stale.json()["field"]) == ("stale_version", "If-Match")
    ok = await stations.put(
        "/v1/divisions/141124/flags",
        json={"poverty_county": False},
        headers={**ADMIN, "If-Match": tag},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["poverty_county"] is False


@pytest.mark.parametrize(
    ("code", "body", "problem", "field"),
    [
        (TOWNSHIP, {"poverty_county": True}, "flag_wrong_level", "poverty_county"),
        (VILLAGE, {"poverty_county": True}, "flag_wrong_level", "poverty_county"),
        ("141100000000", {"poverty_county": True}, "flag_wrong_level", "poverty_county"),
        (LINXIAN, {"poor_village": True}, "flag_wrong_level", "poor_village"),
        (TOWNSHIP, {"poor_village": True}, "flag_wrong_level", "poor_village"),
        (VILLAGE, {"demonstration_year": 2018}, "flag_wrong_level", "demonstration_year"),
        (LINXIAN, {"demonstration_year": 2013}, "implausible_year", "demonstration_year"),
        (LINXIAN, {"demonstration_year": 2999}, "implausible_year", "demonstration_year"),
        (
            LINXIAN,
            {"demonstration_year": date.today().year + 1},
            "implausible_year",
            "demonstration_year",
        ),
    ],
)
async def test_flag_rules(
    stations: httpx.AsyncClient, db: asyncpg.Pool, code: str, body: dict, problem: str, field: str
) -> None:
    r = await stations.put(f"/v1/divisions/{code}/flags", json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == (problem, field)
    assert await _flag_rows(db) == {}
    assert await _events(db) == []


async def test_plausible_years(stations: httpx.AsyncClient) -> None:
    for year in (2014, date.today().year):
        r = await stations.put(
            "/v1/divisions/141124/flags", json={"demonstration_year": year}, headers=ADMIN
        )
        assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"poverty_county": "maybe"}, "poverty_county"),
        ({"demonstration_year": "二〇一七"}, "demonstration_year"),
        ({"poverty": True}, "poverty"),
    ],
)
async def test_malformed_flag_body(stations: httpx.AsyncClient, body: dict, field: str) -> None:
    r = await stations.put("/v1/divisions/141124/flags", json=body, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


async def test_flags_on_bad_codes(stations: httpx.AsyncClient) -> None:
    r = await stations.put("/v1/divisions/14112/flags", json={}, headers=ADMIN)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        422,
        "invalid_division_code",
        "code",
    )
    r = await stations.put("/v1/divisions/149999/flags", json={}, headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (404, "division_not_found")


@pytest.mark.parametrize(
    ("division", "refusal"),
    [
        ("1411", "province_level_required"),
        ("141124", "province_level_required"),
        ("141124102", "outside_scope"),
    ],
)
async def test_only_the_province_sets_national_designations(
    stations: httpx.AsyncClient, db: asyncpg.Pool, division: str, refusal: str
) -> None:
    narrow = internal_headers(Role.OFFICIAL, subject="user:8", division=division)
    for flags in ({"poverty_county": True}, {"demonstration_year": 2017}):
        r = await stations.put(
            "/v1/divisions/141124/flags", json=flags, headers=narrow | {"Accept-Language": "zh"}
        )
        assert r.status_code == 403, r.text
        assert r.json()["code"] == refusal
        assert refusal == "outside_scope" or "省级" in r.json()["detail"]
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        json=[{"code": "141124", "poverty_county": True}, {"code": VILLAGE, "poor_village": True}],
        headers=narrow,
    )
    first, second = r.json()["results"]
    assert (first["http_status"], first["code"]) == (403, refusal)
    # The register of poor villages is kept by whoever holds the village.
    assert second["status"] == "updated", second
    assert await _flag_rows(db) == {VILLAGE: (False, True, None)}


@pytest.mark.parametrize("division", ["14", "nation"])
async def test_the_province_and_the_nation_set_them(
    stations: httpx.AsyncClient, db: asyncpg.Pool, division: str
) -> None:
    wide = internal_headers(Role.OFFICIAL, subject="user:8", division=division)
    r = await stations.put(
        "/v1/divisions/141124/flags",
        json={"poverty_county": True, "demonstration_year": 2017},
        headers=wide,
    )
    assert r.status_code == 200, r.text
    # Clearing them is a designation too: a county cannot undo the province's entry.
    r = await stations.put(
        "/v1/divisions/141124/flags",
        json={},
        headers=internal_headers(Role.OFFICIAL, subject="user:9", division="141124"),
    )
    assert (r.status_code, r.json()["code"]) == (403, "province_level_required")
    assert await _flag_rows(db) == {LINXIAN: (True, False, 2017)}


async def test_official_outside_subtree(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    r = await stations.put(
        "/v1/divisions/141102/flags", json={"poverty_county": True}, headers=COUNTY_OFFICIAL
    )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "outside_scope"
    r = await stations.put(
        f"/v1/divisions/{LIANDU}/flags", json={"poverty_county": True}, headers=LULIANG_OFFICIAL
    )
    assert r.status_code == 403
    assert r.json()["code"] == "outside_scope"
    assert await _flag_rows(db) == {}
    # An admin may anywhere.
    r = await stations.put(
        f"/v1/divisions/{LIANDU}/flags", json={"poverty_county": True}, headers=ADMIN
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("role", "fields"),
    [
        (Role.OPERATOR, {"station": "141124102200-01"}),
        (Role.PLATFORM, {"division": "141124"}),
        (Role.CARRIER, {"carrier": "zhongtong"}),
        (Role.SERVICE, {}),
        (Role.PUBLIC, {}),
    ],
)
async def test_other_roles_may_not_write(
    stations: httpx.AsyncClient, db: asyncpg.Pool, role: Role, fields: dict[str, str]
) -> None:
    headers = internal_headers(role, **fields)
    # The public is asked to sign in; the others would not be helped by it.
    status, code = (
        (401, "authentication_required") if role is Role.PUBLIC else (403, "role_forbidden")
    )
    r = await stations.put(
        "/v1/divisions/141124/flags", json={"poverty_county": True}, headers=headers
    )
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        json=[{"code": "141124", "poverty_county": True}],
        headers=headers,
    )
    assert r.status_code == status
    assert r.json()["code"] == code
    assert await _flag_rows(db) == {}


def _by_row(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["index"]: r for r in body["results"]}


async def test_bulk_json_answers_every_row(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    rows = [
        {"code": "141124", "poverty_county": True, "demonstration_year": 2017},  # 1 ok
        {"code": VILLAGE, "name": "ignored", "poor_village": True},  # 2 ok
        {"code": "14112", "poverty_county": True},  # 3 bad code
        {"code": "149999", "poverty_county": True},  # 4 unknown
        {"code": TOWNSHIP, "poverty_county": True},  # 5 wrong level
        {"code": "141123", "demonstration_year": 2009},  # 6 implausible
        {"code": LIANDU, "poverty_county": True},  # 7 outside Lüliang
        {"code": LINXIAN, "poor_village": False},  # 8 duplicate of row 1
        {"code": VILLAGE_2, "poor_village": "perhaps"},  # 9 not a boolean
        {"code": VILLAGE_2, "colour": "red"},  # 10 unknown field
        "141124102205",  # 11 not an object
        {"code": VILLAGE_2, "poor_village": None},  # 12 null flag
        {"code": LISHI, "demonstration_year": 2016},  # 13 ok
    ]
    r = await stations.post("/v1/divisions/flags/bulk", json=rows, headers=SHANXI_OFFICIAL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is False
    assert body["counts"] == {
        "rows": 13,
        "created": 0,
        "updated": 3,
        "unchanged": 0,
        "rejected": 10,
    }
    results = _by_row(body)
    assert results[1]["status"] == "updated"
    assert results[1]["division_code"] == LINXIAN
    assert results[1]["flags"]["demonstration_year"] == 2017
    assert results[2]["flags"]["poor_village"] is True
    expected = {
        3: (422, "invalid_division_code", "code"),
        4: (404, "division_not_found", "code"),
        5: (422, "flag_wrong_level", "poverty_county"),
        6: (422, "implausible_year", "demonstration_year"),
        7: (403, "outside_scope", None),
        8: (422, "duplicate_row", "code"),
        9: (422, "bool_parsing", "poor_village"),
        10: (422, "extra_forbidden", "colour"),
        11: (422, "model_type", None),
        12: (422, "flag_null", "poor_village"),
    }
    for row, (status, code, field) in expected.items():
        result = results[row]
        assert result["status"] == "rejected"
        assert (result["http_status"], result["code"], result.get("field")) == (
            status,
            code,
            field,
        ), row
    assert results[3]["division_code"] == "14112"
    assert "row 1" in results[8]["message"]

    assert await _flag_rows(db) == {
        LINXIAN: (True, False, 2017),
        VILLAGE: (False, True, None),
        LISHI: (False, False, 2016),
    }
    assert sorted(e["key"] for e in await _events(db)) == sorted([LINXIAN, VILLAGE, LISHI])

    demo = await stations.get("/v1/divisions", params={"demonstration": "true"}, headers=PUBLIC)
    assert [d["code"] for d in demo.json()["items"]] == [LISHI, LINXIAN]
    batch = await stations.get("/v1/divisions", params={"demonstration_year": 2017}, headers=PUBLIC)
    assert [d["code"] for d in batch.json()["items"]] == [LINXIAN]
    poverty = await stations.get("/v1/divisions?poverty_county=true", headers=PUBLIC)
    assert [d["code"] for d in poverty.json()["items"]] == [LINXIAN]


async def test_bulk_changes_only_the_named_flags(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await stations.put(
        "/v1/divisions/141124/flags",
        json={"poverty_county": True, "demonstration_year": 2015},
        headers=ADMIN,
    )
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        json=[{"code": "141124", "demonstration_year": None}],
        headers=ADMIN,
    )
    assert r.json()["results"][0]["status"] == "updated"
    assert await _flag_rows(db) == {LINXIAN: (True, False, None)}
    r = await stations.post("/v1/divisions/flags/bulk", json=[{"code": "141124"}], headers=ADMIN)
    assert r.json()["results"][0]["status"] == "unchanged"


async def test_bulk_dry_run_writes_nothing(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    rows = [{"code": "141124", "poverty_county": True}, {"code": TOWNSHIP, "poor_village": True}]
    r = await stations.post(
        "/v1/divisions/flags/bulk?dry_run=true", json=rows, headers=SHANXI_OFFICIAL
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True
    assert (body["counts"]["updated"], body["counts"]["rejected"]) == (1, 1)
    first = body["results"][0]
    assert (first["status"], first["flags"]["poverty_county"]) == ("updated", True)
    assert body["results"][1]["code"] == "flag_wrong_level"
    assert await _flag_rows(db) == {}
    assert await _events(db) == []

    zh = await stations.post(
        "/v1/divisions/flags/bulk?dry_run=true",
        json=rows,
        headers={**SHANXI_OFFICIAL, "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert "只适用于村级区划" in zh.json()["results"][1]["message"]


CSV_ROWS = (
    "区划代码,名称,国家级贫困县,贫困村,示范县批次年份\r\n"
    "141124,临县,是,,2017\r\n"
    "141124102200,,,1,\r\n"
    ",,,,\r\n"  # a blank spreadsheet row
    "141124102202,,,否,\r\n"
    "141124102203,,,maybe,\r\n"
    "141102,离石区,,,2O17\r\n"
    "1.41124E+11,,1,,\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
async def test_bulk_csv_from_a_spreadsheet(
    stations: httpx.AsyncClient, db: asyncpg.Pool, encoding: str
) -> None:
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        content=CSV_ROWS.encode(encoding),
        headers={**SHANXI_OFFICIAL, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    results = _by_row(body)
    assert sorted(results) == [1, 2, 4, 5, 6, 7]  # the blank row 3 is skipped
    assert results[1]["status"] == "updated"
    assert results[2]["status"] == "updated"
    assert results[4]["status"] == "unchanged"  # 否 on a village never flagged
    assert (results[5]["code"], results[5]["field"]) == ("invalid_boolean", "poor_village")
    assert (results[6]["code"], results[6]["field"]) == ("invalid_year", "demonstration_year")
    assert results[7]["code"] == "invalid_division_code"
    assert "spreadsheet" in results[7]["message"]
    assert [results[i]["line"] for i in (1, 2, 4)] == [2, 3, 5]
    assert await _flag_rows(db) == {LINXIAN: (True, False, 2017), VILLAGE: (False, True, None)}


async def test_bulk_ndjson(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    body = '{"code": "141124102200", "poor_village": true}\n\n{not json}\n'
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        content=body.encode(),
        headers={**COUNTY_OFFICIAL, "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results[0]["status"] == "updated"
    assert (results[1]["index"], results[1]["code"]) == (2, "malformed_json")
    assert await _flag_rows(db) == {VILLAGE: (False, True, None)}


@pytest.mark.parametrize(
    ("content_type", "content", "status", "problem", "field"),
    [
        ("text/csv", "名称,贫困村\n城庄村,1\n", 422, "csv_missing_column", "code"),
        (
            "text/csv",
            "code,poor_vilage\n141124102200,1\n",
            422,
            "csv_unknown_column",
            "poor_vilage",
        ),
        (
            "text/csv",
            "code,name\n141124102200,城庄村\n",
            422,
            "csv_missing_column",
            "poverty_county",
        ),
        ("text/csv", 'code,poor_village\n"141124102200,1\n', 422, "bad_csv", "body"),
        ("text/csv", "", 422, "empty_batch", "body"),
        (
            "text/csv; charset=utf-8",
            b"code,poor_village\n\xff\xfe,1\n",
            400,
            "bad_encoding",
            "body",
        ),
        ("application/json", "[]", 422, "empty_batch", "body"),
        ("application/json", '{"code": "141124"}', 422, "expected_array", "body"),
        ("application/json", "[{", 400, "malformed_json", "body"),
        ("application/xml", "<flags/>", 415, "unsupported_media_type", "Content-Type"),
    ],
)
async def test_bulk_bad_bodies(
    stations: httpx.AsyncClient,
    db: asyncpg.Pool,
    content_type: str,
    content: str | bytes,
    status: int,
    problem: str,
    field: str,
) -> None:
    data = content.encode() if isinstance(content, str) else content
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        content=data,
        headers={**ADMIN, "Content-Type": content_type},
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == (problem, field)
    assert await _flag_rows(db) == {}


async def test_bulk_row_cap(stations: httpx.AsyncClient) -> None:
    rows = [{"code": "141124"}] * 5001
    r = await stations.post("/v1/divisions/flags/bulk", json=rows, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["code"] == "too_many_rows"


async def test_poor_village_only_on_village_committees(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    residents = "141102001001"  # 东关社区居委会, 离石区: a residents' committee (seq 001)
    r = await stations.put(
        f"/v1/divisions/{residents}/flags",
        json={"poor_village": True},
        headers={**LULIANG_OFFICIAL, "Accept-Language": "zh"},
    )
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"]) == ("flag_wrong_class", "poor_village")
    assert "居委会" in r.json()["detail"]
    bulk = await stations.post(
        "/v1/divisions/flags/bulk",
        json=[{"code": residents, "poor_village": True}, {"code": VILLAGE, "poor_village": True}],
        headers=LULIANG_OFFICIAL,
    )
    assert [x.get("code") for x in bulk.json()["results"]] == ["flag_wrong_class", None]
    assert await _flag_rows(db) == {VILLAGE: (False, True, None)}
