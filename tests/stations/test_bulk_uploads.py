"""The two bulk endpoints of stations (monthly reports, division flags) as a county official
uses them: the CSV template downloaded, filled in Excel on Chinese Windows and sent back;
one answer shape for both; hostile bodies refused like the single routes refuse them."""

import codecs
import json
from typing import Any

import asyncpg
import httpx

from common.auth import Role
from tests.stations.factories import figures, insert_station
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.support import internal_headers

VILLAGE = "141124100201"  # 前麻峪村委会, 临泉镇, 临县
OTHER_VILLAGE = "141124100202"
THIRD_VILLAGE = "141124100203"
LAST, EARLIER, OLDER = _month(-1), _month(-2), _month(-3)
OFFICIAL = internal_headers(Role.OFFICIAL, subject="official:141124", division="141124")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def _template(stations: httpx.AsyncClient, path: str) -> str:
    r = await stations.get(path, headers=OFFICIAL)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.content.startswith(codecs.BOM_UTF8)  # Excel opens it as UTF-8
    return r.content.decode("utf-8-sig")


async def test_report_upload_from_chinese_excel(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    a = await insert_station(db, VILLAGE)
    b = await insert_station(db, OTHER_VILLAGE)
    c = await insert_station(db, THIRD_VILLAGE)
    template = await _template(stations, "/v1/reports/bulk/template")
    chinese, names = template.splitlines()
    assert chinese.startswith("站点编码,月份,农产品上行金额(元)")
    assert names.startswith("station_code,month,upward_amount")

    # As Excel writes the cells: a date cell, a number cell, a Chinese date format;
    # thousands separators; full-width digits typed with a Chinese input method.
    rows = [
        f'{a.code},{LAST.year}/{LAST.month}/1,"1,234.50",12,"9,320.5",3,"1,260",402,310,42',
        f"{b.code},{LAST.year}{LAST.month:02d},18650,214,0,0,0,0,31,4",
        f"{c.code},{LAST.year}年{LAST.month}月,１２３４．５,７,0,0,0,0,１０,0",
        f"{a.code},{EARLIER.year}/{EARLIER.month}/1 0:00,0,0,0,0,0,0,0,0",
    ]
    sheet = template + "\r\n".join(rows) + "\r\n"
    r = await stations.post(
        "/v1/reports/bulk",
        content=sheet.encode("gb18030"),  # Excel's "CSV (逗号分隔)" on Chinese Windows
        headers=OFFICIAL | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["created"] == 4, body
    assert [x["line"] for x in body["results"]] == [3, 4, 5, 6]  # below the two header rows
    assert [x["month"] for x in body["results"]] == [_text(LAST)] * 3 + [_text(EARLIER)]
    stored = {
        (row["code"], row["month"]): (str(row["upward_amount"]), row["parcels_in"])
        for row in await db.fetch(
            "SELECT s.code, r.month, r.upward_amount, r.parcels_in"
            " FROM stations.monthly_report r JOIN stations.station s ON s.id = r.station_id"
        )
    }
    assert stored[(a.code, LAST)] == ("1234.50", 1260)
    assert stored[(b.code, LAST)] == ("18650.00", 0)
    assert stored[(c.code, LAST)] == ("1234.50", 0)


async def test_flag_template_round_trip(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    template = await _template(stations, "/v1/divisions/flags/bulk/template")
    assert template.splitlines() == [
        "区划代码,名称,国家级贫困县,建档立卡贫困村,示范县批次年份",
        "code,name,poverty_county,poor_village,demonstration_year",
    ]
    sheet = template + "141124102200,城庄村委会,,是,\r\n"
    r = await stations.post(
        "/v1/divisions/flags/bulk",
        content=sheet.encode("gb18030"),
        headers=OFFICIAL | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "updated"
    assert await db.fetchval(
        "SELECT poor_village FROM stations.division_flag WHERE code = '141124102200'"
    )


def _row_keys(result: dict[str, Any], own: set[str]) -> set[str]:
    return set(result) - own


async def test_both_bulk_endpoints_answer_one_shape(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    a = await insert_station(db, VILLAGE)
    report = {
        "station_code": a.code,
        "month": _text(LAST),
        "upward_amount": "1",
        "upward_orders": 1,
        "downward_amount": "1",
        "downward_orders": 1,
        "parcels_in": 1,
        "parcels_out": 1,
        "households_served": 1,
        "poor_households_served": 0,
    }
    reports = await stations.post(
        "/v1/reports/bulk",
        json=[report, report | {"month": _text(EARLIER), "upward_orders": -1}],
        headers=OFFICIAL | ZH,
    )
    flags = await stations.post(
        "/v1/divisions/flags/bulk",
        json=[{"code": "141124102200", "poor_village": True}, {"code": "141124", "colour": 1}],
        headers=OFFICIAL | ZH,
    )
    answers = (reports.json(), flags.json())
    own_fields = ({"station_code", "month", "revision"}, {"division_code", "flags"})
    for answer, own in zip(answers, own_fields, strict=True):
        assert set(answer) == {"dry_run", "counts", "results"}
        assert answer["counts"] == {
            "rows": 2,
            "created": answer["counts"]["created"],
            "updated": answer["counts"]["updated"],
            "unchanged": 0,
            "rejected": 1,
        }
        accepted, rejected = answer["results"]
        assert _row_keys(accepted, own) == {"index", "status"}
        assert _row_keys(rejected, own) == {
            "index",
            "status",
            "http_status",
            "code",
            "field",
            "message",
        }
        assert rejected["status"] == "rejected"
    report_row, flag_row = answers[0]["results"][1], answers[1]["results"][1]
    assert (report_row["code"], report_row["field"]) == ("negative_figure", "upward_orders")
    assert report_row["message"] == "农产品上行订单数:不能为负数"
    assert (flag_row["code"], flag_row["field"]) == ("extra_forbidden", "colour")
    assert flag_row["message"] == "colour:不允许的字段"


async def test_bulk_routes_refuse_deep_json_like_the_single_routes(
    stations: httpx.AsyncClient,
) -> None:
    admin = internal_headers(Role.ADMIN) | {"Content-Type": "application/json"}
    deep = "[" * 1000 + "]" * 1000
    single = await stations.post("/v1/stations", content=deep, headers=admin)
    assert single.status_code == 400
    for path in ("/v1/reports/bulk", "/v1/divisions/flags/bulk"):
        for body in (deep, f"[{deep}]", '[{"code": ' + deep + "}]"):
            r = await stations.post(path, content=body, headers=admin)
            assert r.status_code == 400, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "malformed_json"
        ndjson = await stations.post(
            path,
            content=deep.encode() + b"\n",
            headers=admin | {"Content-Type": "application/x-ndjson"},
        )
        assert ndjson.status_code == 200, ndjson.text
        assert ndjson.json()["results"][0]["code"] == "malformed_json"


async def test_a_nul_row_is_refused_and_its_answer_replays(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    a = await insert_station(db, VILLAGE)
    good: dict[str, Any] = {"station_code": a.code, "month": _text(OLDER)} | figures()
    rows = [good | {"station_code": a.code + "\u0000"}, good]
    headers = OFFICIAL | {"Idempotency-Key": "upload-with-nul-0001"}
    first = await stations.post("/v1/reports/bulk", content=json.dumps(rows), headers=headers)
    assert first.status_code == 200, first.text
    refused, accepted = first.json()["results"]
    assert (refused["code"], refused["field"], refused["http_status"]) == (
        "nul_character",
        "station_code",
        422,
    )
    assert accepted["status"] == "created"
    again = await stations.post("/v1/reports/bulk", content=json.dumps(rows), headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await db.fetchval("SELECT count(*) FROM stations.monthly_report") == 1
