"""A division's programme progress as of a day: projects, milestones, funds by category
(paid up to the day and in the period), breaches — counted against the ledger itself."""

import httpx

from tests.programme.helpers import (
    JINGHONG,
    JINGHONG_OFFICIAL,
    LINXIAN_OFFICIAL,
    PLATFORM,
    ZH,
    demonstration_county,
    payment,
    project,
)
from tests.support import problem


async def test_progress_of_a_county_and_its_province(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    points = await project(programme, budget={"central": "900000", "local": "100000"})
    await project(programme, name="电商培训", category="training", budget={"central": "2100000"})
    url = f"/v1/projects/{points['code']}"
    for name, deadline in (("建成20个服务点", "2017-03-01"), ("建成40个服务点", "2017-06-30")):
        r = await programme.post(f"{url}/milestones", json={"name": name, "deadline": deadline},
                                 headers=JINGHONG_OFFICIAL)  # fmt: skip
        assert r.status_code == 201, r.text
    first = (await programme.get(url, headers=JINGHONG_OFFICIAL)).json()["milestones"][0]
    r = await programme.patch(
        f"{url}/milestones/{first['id']}",
        json={"status": "done", "completed_on": "2017-02-20",
              "evidence": [{"title": "验收报告", "reference": "景商务〔2017〕12号"}]},
        headers={**JINGHONG_OFFICIAL, "If-Match": '"1"'},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    for voucher, day, amount in (("JH-1", "2017-01-10", "30000"), ("JH-2", "2017-03-15", "5000"),
                                 ("JH-3", "2017-05-02", "7000")):  # fmt: skip
        r = await programme.post(f"{url}/disbursements",
                                 json=payment(voucher, amount, paid_on=day),
                                 headers=JINGHONG_OFFICIAL)  # fmt: skip
        assert r.status_code == 201, r.text

    params = {"division": "532801", "from": "2017-03-01", "to": "2017-03-31"}
    r = await programme.get("/v1/indicators/programme", params=params, headers=PLATFORM)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["division"], body["from"], body["to"]) == ("532801", "2017-03-01", "2017-03-31")
    assert body["demonstration_counties"] == 1
    assert body["allocated"] == {"central": "15000000.00", "local": "1500000.00"}
    assert body["projects"] == {"planned": 2}
    assert body["milestones"] == {"total": 2, "due": 1, "done": 1, "overdue": 0}
    assert body["disbursed"]["central"] == "35000.00"  # JH-3 is paid after the period
    assert body["disbursed_in_period"] == "5000.00"
    assert body["planned"]["total"] == "3100000.00"
    village = next(c for c in body["by_category"] if c["category"] == "village_points")
    assert village["planned"] == {"central": "900000.00", "local": "100000.00",
                                  "social": "0.00", "total": "1000000.00"}  # fmt: skip
    assert village["disbursed_in_period"] == "5000.00"
    # Jinghong 2016: training ≤ ¥2,000,000 and logistics ≥ 30 % of central funds, …
    stored = await programme.get(f"/v1/demonstration-counties/{JINGHONG}/fund-breaches",
                                 headers=PLATFORM)  # fmt: skip
    assert body["breaches"]["total"] == len(stored.json()["breaches"]) >= 2
    assert body["breaches"]["counties"] == 1

    later = await programme.get(
        "/v1/indicators/programme",
        params={"division": "53", "from": "2017-01-01", "to": "2017-12-31"},
        headers=PLATFORM,
    )
    assert later.status_code == 200, later.text
    year = later.json()
    assert year["milestones"] == {"total": 2, "due": 2, "done": 1, "overdue": 1}
    assert year["disbursed_in_period"] == "42000.00"
    assert sum(b["breaches"] for b in year["breaches"]["by_rule"]) == year["breaches"]["total"]

    nation = await programme.get(
        "/v1/indicators/programme", params={"from": "2017-01-01", "to": "2017-12-31"},
        headers=PLATFORM,
    )  # fmt: skip
    assert nation.json()["division"] is None
    assert nation.json()["disbursed"] == year["disbursed"]
    assert JINGHONG.startswith(year["division"])


async def test_bad_input_and_scope(programme: httpx.AsyncClient) -> None:
    url = "/v1/indicators/programme"
    r = await programme.get(url, params={"division": "532801", "from": "2017-04-01",
                                         "to": "2017-03-31"}, headers={**PLATFORM, **ZH})  # fmt: skip
    problem(r, 422, "invalid_range")
    assert "晚于" in r.json()["detail"]
    r = await programme.get(url, params={"division": "532801103000", "from": "2017-01-01",
                                         "to": "2017-03-31"}, headers=PLATFORM)  # fmt: skip
    problem(r, 422, "below_county")
    r = await programme.get(url, params={"division": "532801", "from": "2017-01-01",
                                         "to": "2017-03-31"}, headers=LINXIAN_OFFICIAL)  # fmt: skip
    problem(r, 403, "outside_scope")
    r = await programme.get(url, params={"division": "532801"}, headers=PLATFORM)
    assert r.status_code == 422, r.text
