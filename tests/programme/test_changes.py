"""The programme's change feed (``GET /v1/changes``): targets, projects, milestones and
payments in commit order, one page after another from the cursor, without a person."""

import httpx

from tests.programme.helpers import (
    JINGHONG_OFFICIAL,
    PLATFORM,
    demonstration_county,
    payment,
    project,
)


async def test_the_ledger_feed_in_commit_order(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    await programme.put("/v1/counties/532801/adoptions/jinghong-2016", headers=JINGHONG_OFFICIAL)
    code = (await project(programme))["code"]
    milestone = await programme.post(
        f"/v1/projects/{code}/milestones",
        json={"name": "完成30个村级服务点建设", "deadline": "2017-04-01"},
        headers=JINGHONG_OFFICIAL,
    )
    assert milestone.status_code == 201, milestone.text
    done = await programme.patch(
        f"/v1/projects/{code}/milestones/{milestone.json()['id']}",
        json={"status": "done", "completed_on": "2017-03-28",
              "evidence": [{"title": "验收报告", "reference": "景商务〔2017〕12号"}]},
        headers={**JINGHONG_OFFICIAL, "If-Match": '"1"'},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    paid = await programme.post(
        f"/v1/projects/{code}/disbursements",
        json=payment("JH-F-1", payee="岩温香"),
        headers=JINGHONG_OFFICIAL,
    )
    assert paid.status_code == 201, paid.text

    seen: list[dict] = []
    after = None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (await programme.get("/v1/changes", params=params, headers=PLATFORM)).json()
        seen += page["items"]
        if not page["items"]:
            break
        after = page["cursor"]
    topics = [(e["topic"], e["action"]) for e in seen]
    assert topics == [
        ("demonstration_county", "created"),
        ("adoption", "adopted"),
        ("project", "created"),
        ("milestone", "recorded"),
        ("milestone", "recorded"),
        ("disbursement", "recorded"),
    ], topics
    milestones = [e for e in seen if e["topic"] == "milestone"]
    assert [(e["version"], e["payload"]["status"]) for e in milestones] == [
        (1, "pending"),
        (2, "done"),
    ]
    text = str(seen)
    for personal in ("岩温香", "13912345678"):
        assert personal not in text

    only = await programme.get(
        "/v1/changes", params={"topic": ["milestone", "disbursement"]}, headers=PLATFORM
    )
    assert [e["topic"] for e in only.json()["items"]] == ["milestone", "milestone", "disbursement"]
