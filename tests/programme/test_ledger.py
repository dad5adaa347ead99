"""Demonstration counties and their projects (项目台账): who records them, what is refused,
and personal data kept out of sight."""

import httpx

from tests.programme.helpers import (
    ADMIN,
    FANGSHAN,
    FANGSHAN_OFFICIAL,
    JINGHONG,
    JINGHONG_OFFICIAL,
    OPERATOR,
    PLATFORM,
    YUNNAN_OFFICIAL,
    ZH,
    a_project,
    demonstration_county,
    project,
)
from tests.support import problem


async def test_the_province_records_a_demonstration_county(programme: httpx.AsyncClient) -> None:
    body = {
        "county_code": "532801",
        "batch_year": 2016,
        "central_funds": 15000000,
        "programme_start": "2016-10-01",
    }
    problem(
        await programme.post("/v1/demonstration-counties", json=body, headers=JINGHONG_OFFICIAL),
        403,
        "province_level_required",
    )
    problem(
        await programme.post("/v1/demonstration-counties", json=body, headers=FANGSHAN_OFFICIAL),
        403,
        "outside_scope",
    )
    r = await programme.post(
        "/v1/demonstration-counties",
        json=body,
        headers={**YUNNAN_OFFICIAL, "Idempotency-Key": "dc-jinghong-1"},
    )
    assert r.status_code == 201, r.text
    county = r.json()
    assert (county["county_name"], county["central_funds"], county["local_funds"]) == (
        "景洪市",
        "15000000.00",
        "0.00",
    )
    assert county["fund_rule_set"] == "jinghong-2016"  # the most specific preset
    problem(
        await programme.post("/v1/demonstration-counties", json=body, headers=ADMIN),
        409,
        "demonstration_county_exists",
    )
    problem(
        await programme.post(
            "/v1/demonstration-counties",
            json={**body, "county_code": "532899"},
            headers=ADMIN,
        ),
        422,
        "unknown_division",
    )
    problem(
        await programme.post(
            "/v1/demonstration-counties",
            json={**body, "county_code": "141128", "fund_rule_set": "jinghong-2016"},
            headers=ADMIN,
        ),
        422,
        "rule_set_not_applicable",
    )


async def test_projects_only_in_demonstration_counties(programme: httpx.AsyncClient) -> None:
    r = await programme.post(
        "/v1/projects", json=a_project(county_code=FANGSHAN), headers={**ADMIN, **ZH}
    )
    body = problem(r, 422, "not_a_demonstration_county", "county_code")
    assert "不是电子商务进农村综合示范县" in body["detail"]


async def test_a_project_keeps_its_responsible_person_private(
    programme: httpx.AsyncClient, db: object
) -> None:
    await demonstration_county(programme)
    created = await project(programme)
    assert created["code"] == "532801-001"
    assert created["responsible"] == {"name": "岩温香", "phone": "13912345678", "masked": False}
    second = await project(programme, name="乡镇服务站建设", category="township_stations")
    assert second["code"] == "532801-002"

    seen = await programme.get(f"/v1/projects/{created['code']}", headers=PLATFORM)
    assert seen.json()["responsible"] == {"name": "岩*香", "phone": "139****5678", "masked": True}
    listed = await programme.get("/v1/projects", params={"county": "532801"}, headers=PLATFORM)
    assert [p["code"] for p in listed.json()["items"]] == ["532801-001", "532801-002"]
    assert listed.json()["items"][0]["budget"]["total"] == "1000000.00"

    feed = await programme.get("/v1/changes", params={"topic": "project"}, headers=PLATFORM)
    assert feed.status_code == 200
    assert "13912345678" not in feed.text
    assert "岩温香" not in feed.text


async def test_bad_project_writes(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    created = await project(programme)
    url = f"/v1/projects/{created['code']}"
    problem(
        await programme.patch(
            url, json={"name": "x"}, headers={**FANGSHAN_OFFICIAL, "If-Match": '"1"'}
        ),
        403,
        "outside_scope",
    )
    problem(await programme.patch(url, json={"name": "x"}, headers=JINGHONG_OFFICIAL), 428,
            "if_match_required")  # fmt: skip
    bad = await programme.post(
        "/v1/projects",
        json=a_project(
            responsible={"phone": "12345"}, company={"credit_code": "91110000802100433X"}
        ),
        headers=JINGHONG_OFFICIAL,
    )
    fields = {e["field"]: e["code"] for e in problem(bad, 422, "validation_failed")["errors"]}
    assert fields == {
        "responsible.phone": "invalid_phone",
        "company.credit_code": "invalid_credit_code",
    }
    negative = await programme.post(
        "/v1/projects", json=a_project(budget={"central": "-1"}), headers=JINGHONG_OFFICIAL
    )
    assert problem(negative, 422, "validation_failed")["errors"][0]["code"] == "negative_amount"
    changed = await programme.patch(
        url,
        json={"budget": {"central": "800000"}, "uses": ["equipment"]},
        headers={**JINGHONG_OFFICIAL, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["budget"]["total"] == "800000.00"


async def test_funds_are_summed_by_source_and_category(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    await project(programme)
    await project(programme, category="logistics", name="县级物流配送中心",
                  budget={"central": "4500000", "social": "4500000"})  # fmt: skip
    cancelled = await project(programme, category="training", budget={"central": "1"})
    await programme.post(
        f"/v1/projects/{cancelled['code']}/transitions",
        json={"to": "cancelled", "reason": "合并到其他项目"},
        headers=JINGHONG_OFFICIAL,
    )
    funds = (
        await programme.get(f"/v1/demonstration-counties/{JINGHONG}/funds", headers=PLATFORM)
    ).json()
    assert funds["planned"] == {"central": "5400000.00", "local": "100000.00",
                                "social": "4500000.00", "total": "10000000.00"}  # fmt: skip
    assert funds["unplanned_central"] == "9600000.00"
    assert [c["category"] for c in funds["by_category"]] == ["logistics", "village_points"]


async def test_publication_is_the_countys_choice(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    url = f"/v1/demonstration-counties/{JINGHONG}/publication"
    problem(await programme.put(url, json={"published": True}, headers=FANGSHAN_OFFICIAL), 403,
            "outside_scope")  # fmt: skip
    r = await programme.put(url, json={"published": True}, headers=JINGHONG_OFFICIAL)
    assert r.json()["published"] is True
    assert r.json()["published_at"] is not None


async def test_the_ledger_is_read_inside_ones_division(programme: httpx.AsyncClient) -> None:
    """Not a public record (the disclosure is): officials and platforms read their subtree."""
    await demonstration_county(programme)
    await demonstration_county(
        programme, FANGSHAN, batch_year=2017, central_funds="1000000", programme_start="2017-09-01"
    )
    code = (await project(programme))["code"]
    for path in (f"/v1/projects/{code}", f"/v1/demonstration-counties/{JINGHONG}/funds",
                 f"/v1/demonstration-counties/{JINGHONG}/fund-breaches"):  # fmt: skip
        problem(await programme.get(path, headers=FANGSHAN_OFFICIAL), 403, "outside_scope")
        problem(await programme.get(path, headers=OPERATOR), 403, "role_forbidden")
        assert (await programme.get(path, headers=JINGHONG_OFFICIAL)).status_code == 200
    mine = await programme.get("/v1/demonstration-counties", headers=FANGSHAN_OFFICIAL)
    assert [c["county_code"] for c in mine.json()["items"]] == [FANGSHAN]
    problem(
        await programme.get("/v1/projects", params={"under": "53"}, headers=FANGSHAN_OFFICIAL),
        403,
        "outside_scope",
    )
    everywhere = await programme.get("/v1/demonstration-counties", headers=PLATFORM)
    assert len(everywhere.json()["items"]) == 2
