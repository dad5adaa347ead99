"""CSV exports through the gateway: UTF-8 with BOM and Chinese headers, every row the JSON
route gives (across its pages), masked for the caller exactly as the JSON is, and the bad
input of each."""

import codecs
import csv
import io

import asyncpg
import httpx
import pytest

from common.auth import Role
from common.months import current_month
from gateway.registry.exports import sources
from tests.gateway.conftest import Front, local, user_headers
from tests.gateway.registry import scene
from tests.support import problem

URL = "/registry/v1/exports"
OFFICIAL = user_headers(Role.OFFICIAL, division=scene.COUNTY)
OTHER_OFFICIAL = user_headers(Role.OFFICIAL, division="141124")
ZH = {"Accept-Language": "zh"}


@pytest.fixture
async def built(front: Front, db: asyncpg.Pool) -> scene.Scene:
    built = await scene.build(db, front.services["logistics"], front.services["training"])
    await db.execute(
        "UPDATE stations.station SET operator_name = '张小明', operator_phone = '13800005678'"
        " WHERE code = $1",
        built.point,
    )
    return built


def rows_of(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.content.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(r.content[3:].decode("utf-8"), newline="")))


async def _json_items(client: httpx.AsyncClient, url: str, **kwargs: object) -> list[dict]:
    items: list[dict] = []
    next_url: str | None = url
    while next_url:
        r = await client.get(next_url, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        next_url = local(r.json()["next"]) if r.json().get("next") else None
    return items


@pytest.mark.parametrize("who", ["public", "official", "other official"])
async def test_station_list_as_the_json_shows_it(
    client: httpx.AsyncClient,
    built: scene.Scene,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
) -> None:
    headers = {"public": {}, "official": OFFICIAL, "other official": OTHER_OFFICIAL}[who]
    # Pages of two stations, so the export walks several pages of the stations service.
    monkeypatch.setattr(sources, "PAGE", 2)
    query = f"under={scene.COUNTY}&status=operating&status=accepted&status=planned"
    expected = await _json_items(client, f"/stations/v1/stations?{query}&limit=2", headers=headers)
    rows = rows_of(await client.get(f"{URL}/stations.csv?{query}", headers=headers))
    assert [r["站点编码"] for r in rows] == [s["code"] for s in expected]
    assert len(rows) == 5
    point = next(r for r in rows if r["站点编码"] == built.point)
    listed = next(s for s in expected if s["code"] == built.point)
    assert (point["运营人"], point["运营人电话"]) == (
        listed["operator"]["name"],
        listed["operator"]["phone"],
    )
    if who == "official":
        assert point["运营人电话"] == "13800005678"
    else:
        assert point["运营人电话"] != "13800005678"
        assert "*" in point["运营人电话"]
    assert point["状态"] == "运营中"
    assert point["站点层级"] == "村级服务点"
    assert float(point["经度"]) == listed["location"]["lon"]


async def test_station_list_filters_are_the_lists_own(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    rows = rows_of(
        await client.get(f"{URL}/stations.csv", params={"under": scene.COUNTY, "tier": "township"})
    )
    assert sorted(r["站点编码"] for r in rows) == sorted([built.township, built.bare_township])
    # A filter the stations service refuses is its own problem, naming the field, in Chinese.
    bad = problem(
        await client.get(f"{URL}/stations.csv", params={"bbox": "1,2,3"}, headers=ZH),
        422,
        "invalid_bbox",
        "bbox",
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in bad["detail"]), bad
    problem(await client.get(f"{URL}/stations.csv", params={"tier": "castle"}), 422,
            "validation_failed", "tier.0")  # fmt: skip


async def test_gap_list_is_every_page_of_the_json(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    kind = "points-without-carrier"
    expected = await _json_items(client, f"/registry/v1/gaps/{kind}?division={scene.COUNTY}")
    rows = rows_of(await client.get(f"{URL}/gaps/{kind}.csv", params={"division": scene.COUNTY}))
    assert [(r["站点编码"], r["原因"]) for r in rows] == [
        (g["station_code"], g["reason_zh"]) for g in expected
    ]
    assert rows[0]["站点编码"] == built.bare_point
    poor = rows_of(
        await client.get(
            f"{URL}/gaps/poor-villages-unserved.csv", params={"division": scene.COUNTY}
        )
    )
    assert [r["区划代码"] for r in poor] == [scene.POOR]
    assert poor[0]["原因代码"] == "no_operating_point,no_carrier,nobody_trained"


async def test_gap_list_bad_input(client: httpx.AsyncClient) -> None:
    gaps = f"{URL}/gaps/points-without-carrier.csv"
    problem(await client.get(gaps, params={"division": "99"}), 404, "division_not_found",
            "division")  # fmt: skip
    problem(await client.get(gaps, params={"period": "2999"}), 422, "future_period", "period")
    zh = problem(await client.get(gaps, params={"period": "2026-13"}, headers=ZH), 422,
                 "invalid_period", "period")  # fmt: skip
    assert "period" in zh["detail"]
    problem(await client.get(f"{URL}/gaps/nowhere.csv"), 422, "validation_failed", "kind")


async def test_dashboard_rows_are_the_json_figures(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    board = await client.get(f"/registry/v1/dashboards/{scene.COUNTY}", headers=OFFICIAL)
    assert board.status_code == 200, board.text
    rows = rows_of(await client.get(f"{URL}/dashboards/{scene.COUNTY}.csv", headers=OFFICIAL))
    county = [r for r in rows if r["区划代码"] == board.json()["division"]["code"]]
    values = board.json()["division"]["values"]
    for row in county:
        expected = values[row["指标代码"]]
        assert (row["数值"] or None) == (None if expected is None else str(expected)), row
    assert {r["指标代码"] for r in county} == set(values)
    children = [c["code"] for c in board.json()["children"]]
    listed = list(dict.fromkeys(r["区划代码"] for r in rows))
    assert listed == [board.json()["division"]["code"], *children]
    assert rows[0]["统计期"] == str(current_month().year)


async def test_dashboard_bad_input(client: httpx.AsyncClient) -> None:
    url = f"{URL}/dashboards/{scene.COUNTY}.csv"
    problem(await client.get(url), 401, "authentication_required")
    outside = problem(await client.get(url, headers={**OTHER_OFFICIAL, **ZH}), 403,
                      "outside_scope")  # fmt: skip
    assert "管辖" in outside["detail"]
    problem(await client.get(url, params={"period": "2026-Q5"}, headers=OFFICIAL), 422,
            "invalid_period", "period")  # fmt: skip
    problem(await client.get(url, params={"period": "2999-01"}, headers=OFFICIAL), 422,
            "future_period", "period")  # fmt: skip
    problem(await client.get(f"{URL}/dashboards/14110.csv", headers=OFFICIAL), 422,
            "invalid_division_code", "division")  # fmt: skip


REPORT_CSV = (
    "站点编码,月份,农产品上行金额(元),农产品上行订单数,工业品下行金额(元),工业品下行订单数,"
    "代收快递件数,代发快递件数,服务农户数,服务建档立卡贫困户数\n"
    '{point},{month},"28,650.00",214,9320.50,388,1260,402,310,42\n'
    "{point},{month},100,-5,0,0,0,0,0,0\n"
)


async def test_upload_results(client: httpx.AsyncClient, built: scene.Scene) -> None:
    body = REPORT_CSV.format(point=built.point, month=scene.LAST_MONTH.strftime("%Y-%m"))
    r = await client.post(
        f"{URL}/uploads/stations/v1/reports/bulk",
        params={"dry_run": "true"},
        content=body.encode(),
        headers={**OFFICIAL, **ZH, "Content-Type": "text/csv"},
    )
    rows = rows_of(r)
    assert "dry-run" in r.headers["content-disposition"]
    assert [(x["序号"], x["结果"]) for x in rows] == [("1", "更新"), ("2", "拒绝")]
    assert rows[1]["问题代码"] == "negative_figure"
    assert rows[1]["HTTP状态"] == "422"
    assert rows[1]["站点编码"] == built.point
    assert "不能为负数" in rows[1]["说明"]
    # Outside the official's county: every row refused by the service, as in JSON.
    other = rows_of(
        await client.post(
            f"{URL}/uploads/stations/v1/reports/bulk",
            content=body.encode(),
            headers={**OTHER_OFFICIAL, "Content-Type": "text/csv"},
        )
    )
    assert {x["结果"] for x in other} == {"拒绝"}
    assert other[0]["HTTP状态"] == "403"
    assert other[0]["问题代码"] == "outside_scope"


async def test_upload_results_bad_input(client: httpx.AsyncClient) -> None:
    url = f"{URL}/uploads/stations/v1/reports/bulk"
    problem(await client.post(url, content=b"[]"), 401, "authentication_required")
    problem(await client.post(f"{URL}/uploads/stations/v1/stations", content=b"[]",
                              headers=OFFICIAL), 404, "upload_not_found", "upload")  # fmt: skip
    # The upload as a whole refused: that route's own problem.
    problem(
        await client.post(
            url, content=b"\xe7\xab\x99\n1", headers={**OFFICIAL, "Content-Type": "text/csv"}
        ),
        422,
        "missing_columns",
    )
