"""Fund rules as data: the seed documents' presets, every breach listed with the rule, the
figure and the limit, found on every change and on demand, for a county or a province."""

from decimal import Decimal

import asyncpg
import httpx

from common.fields import format_yuan
from services.programme.funds.check import yuan_sql
from services.programme.funds.schemas import FundCheck
from tests.programme.helpers import (
    ADMIN,
    FANGSHAN,
    FANGSHAN_OFFICIAL,
    JINGHONG,
    JINGHONG_OFFICIAL,
    JINGLONG,
    PLATFORM,
    SHANXI_OFFICIAL,
    demonstration_county,
    payment,
    project,
)
from tests.stations.factories import insert_station
from tests.support import problem


def _messages(check: dict) -> list[str]:
    return [b["message"] for b in check["breaches"]]


async def test_a_countys_plan_and_payments_against_jinghong_2016(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    points = await project(programme, budget={"central": "900000"})
    point = await insert_station(db, JINGLONG)
    await programme.put(f"/v1/projects/{points['code']}/stations/{point.code}",
                        json={"allocation": "42000"}, headers=JINGHONG_OFFICIAL)  # fmt: skip
    await project(programme, name="县级仓储配送中心", category="logistics",
                  budget={"central": "2400000", "social": "2000000"}, uses=["equipment"])  # fmt: skip
    await project(programme, name="电商培训", category="training", budget={"central": "2100000"})
    promotion = await project(programme, name="网络推广", category="other",
                              budget={"central": "50000"}, uses=["buying_traffic"])  # fmt: skip
    await programme.post(
        f"/v1/projects/{promotion['code']}/disbursements",
        json=payment("JH-TRAFFIC-1", "20000", use="buying_traffic"),
        headers=JINGHONG_OFFICIAL,
    )

    stored = await programme.get(f"/v1/demonstration-counties/{JINGHONG}/fund-breaches",
                                 headers=PLATFORM)  # fmt: skip
    assert stored.status_code == 200, stored.text
    assert stored.json()["rule_set"] == "jinghong-2016"
    assert _messages(stored.json()) == [
        "logistics: ¥2,400,000 = 16.00 % of central funds < 30.00 % minimum (¥4,500,000)",
        "project 532801-002: central ¥2,400,000 > 50.00 % of its investment (¥2,200,000)",
        "project 532801-002: ¥2,400,000 > ¥2,000,000 cap per project",
        "training: ¥2,100,000 > ¥2,000,000 cap",
        "village point 532801103201-01: ¥42,000 > ¥30,000 cap",
        "project 532801-004: ¥50,000 of central funds planned for a forbidden use "
        "(trading_platform, buying_traffic)",
        "payment JH-TRAFFIC-1 of project 532801-004: ¥20,000 of central funds for a forbidden "
        "use (trading_platform, buying_traffic)",
    ]
    station = next(b for b in stored.json()["breaches"] if b["subject_kind"] == "station")
    assert (station["figure"], station["limit"], station["basis"]) == (
        "42000.00",
        "30000.00",
        "plan",
    )
    assert station["message_zh"] == "村级服务点 532801103201-01:¥42,000 超过 ¥30,000 上限"
    assert station["rule"]["clause"] == "支持单个村级电子商务点不超过3万元"

    live = await programme.get("/v1/fund-check", params={"division": "532801"}, headers=PLATFORM)
    assert _messages(live.json()["counties"][0]) == _messages(stored.json())
    # The database builds the answer whole: it is the documented FundCheck, field for field,
    # and the same breaches as stored but for when each was first detected.
    assert FundCheck.model_validate(live.json()).model_dump(mode="json") == live.json()
    assert live.json()["breaches"] == len(stored.json()["breaches"])
    assert live.json()["counties"][0]["breaches"] == [
        {**b, "detected_at": None} for b in stored.json()["breaches"]
    ]

    # Mended on the next change: the station's allocation drops under the cap.
    await programme.put(f"/v1/projects/{points['code']}/stations/{point.code}",
                        json={"allocation": "28000"}, headers=JINGHONG_OFFICIAL)  # fmt: skip
    # … and paying it more than the cap is a breach of what was paid.
    for i, amount in enumerate(("20000", "15000")):
        r = await programme.post(
            f"/v1/projects/{points['code']}/disbursements",
            json=payment(f"JH-P-{i}", amount, station_code=point.code),
            headers=JINGHONG_OFFICIAL,
        )
        assert r.status_code == 201, r.text
    after = (await programme.get(f"/v1/demonstration-counties/{JINGHONG}/fund-breaches",
                                 headers=PLATFORM)).json()  # fmt: skip
    stations = [b for b in after["breaches"] if b["subject_kind"] == "station"]
    assert [(b["basis"], b["message"]) for b in stations] == [
        ("paid", "village point 532801103201-01: ¥35,000 paid > ¥30,000 cap")
    ]
    read = await programme.get(f"/v1/projects/{points['code']}", headers=PLATFORM)
    assert read.json()["stations"][0]["disbursed"] == "35000.00"


async def test_shares_of_central_funds_and_a_province_at_once(
    programme: httpx.AsyncClient,
) -> None:
    await demonstration_county(
        programme, FANGSHAN, batch_year=2017, central_funds="10000000", programme_start="2017-09-01"
    )
    await project(programme, ADMIN, county_code=FANGSHAN, name="县级公共服务中心",
                  category="public_service_centre", budget={"central": "2000000"})  # fmt: skip
    await project(programme, ADMIN, county_code=FANGSHAN, name="农产品品牌培育",
                  category="upward_branding", budget={"central": "5500000"})  # fmt: skip
    check = await programme.get("/v1/fund-check", params={"division": "14"}, headers=PLATFORM)
    counties = check.json()["counties"]
    assert [c["county_code"] for c in counties] == [FANGSHAN]
    assert counties[0]["rule_set"] == "shanxi-2017"
    assert _messages(counties[0]) == [
        "public service centre: ¥2,000,000 = 20.00 % of central funds > 15.00 % maximum "
        "(¥1,500,000)"
    ]


async def test_officials_write_their_own_rules(programme: httpx.AsyncClient) -> None:
    await demonstration_county(
        programme, FANGSHAN, batch_year=2017, central_funds="10000000", programme_start="2017-09-01"
    )
    body = {
        "code": "fangshan-funds-2018",
        "title": "方山县示范项目资金管理办法",
        "issuer": "方山县财政局",
        "year": 2017,
        "region_code": "141128",
        "rules": [{"kind": "project_cap", "categories": ["training"], "amount": "500000"}],
    }
    bad_rules = [
        ({"kind": "share_min"}, "percent_required", "rules[0].percent"),
        ({"kind": "share_max", "percent": "120"}, "percent_out_of_range", "rules[0].percent"),
        ({"kind": "station_cap", "amount": 1}, "station_tier_required", "rules[0].station_tier"),
        ({"kind": "project_cap"}, "amount_required", "rules[0].amount"),
        ({"kind": "forbidden_use"}, "uses_required", "rules[0].uses"),
    ]
    for rule, code, field in bad_rules:
        r = await programme.post("/v1/fund-rule-sets", json={**body, "rules": [rule]},
                                 headers=FANGSHAN_OFFICIAL)  # fmt: skip
        problem(r, 422, code, field)
    created = await programme.post("/v1/fund-rule-sets", json=body, headers=FANGSHAN_OFFICIAL)
    assert created.status_code == 201, created.text
    problem(
        await programme.patch("/v1/fund-rule-sets/jinghong-2016", json={"title": "x"},
                              headers={**ADMIN, "If-Match": '"1"'}),
        409, "preset_read_only",
    )  # fmt: skip
    problem(
        await programme.patch(f"/v1/demonstration-counties/{FANGSHAN}",
                              json={"fund_rule_set": "fangshan-funds-2018"},
                              headers={**FANGSHAN_OFFICIAL, "If-Match": '"1"'}),
        403, "province_level_required",
    )  # fmt: skip
    moved = await programme.patch(
        f"/v1/demonstration-counties/{FANGSHAN}",
        json={"fund_rule_set": "fangshan-funds-2018"},
        headers={**SHANXI_OFFICIAL, "If-Match": '"1"'},
    )
    assert moved.json()["fund_rule_set"] == "fangshan-funds-2018"
    await project(programme, ADMIN, county_code=FANGSHAN, name="电商培训", category="training",
                  budget={"central": "600000"})  # fmt: skip
    url = f"/v1/demonstration-counties/{FANGSHAN}/fund-breaches"
    assert _messages((await programme.get(url, headers=PLATFORM)).json()) == [
        "project 141128-001: ¥600,000 > ¥500,000 cap per project"
    ]
    # Loosening the rule checks every county on it again.
    loosened = await programme.patch(
        "/v1/fund-rule-sets/fangshan-funds-2018",
        json={"rules": [{"kind": "project_cap", "categories": ["training"], "amount": "800000"}]},
        headers={**FANGSHAN_OFFICIAL, "If-Match": '"1"'},
    )
    assert loosened.status_code == 200, loosened.text
    assert _messages((await programme.get(url, headers=PLATFORM)).json()) == []


async def test_amounts_are_worded_in_sql_as_in_python(db: asyncpg.Pool) -> None:
    # The breaches are worded by the database (ADR 0044); amounts read as format_yuan's.
    for amount in ("0", "0.50", "7.05", "42000", "42000.50", "1234567.89", "99999999999999.99"):
        worded = await db.fetchval(f"SELECT {yuan_sql('$1::numeric(16,2)')}", Decimal(amount))
        assert worded == format_yuan(Decimal(amount)), amount
