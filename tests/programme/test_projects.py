"""Milestones, stations checked against the stations service over HTTP, and acceptance (验收)
refusing with every missing item."""

import asyncpg
import httpx

from tests.programme.helpers import (
    FANGSHAN_VILLAGE,
    JINGHONG_OFFICIAL,
    JINGLONG,
    MANBING,
    MENGLONG,
    ZH,
    demonstration_county,
    insert_session,
    project,
)
from tests.stations.factories import insert_station
from tests.support import problem


async def test_milestones_lie_inside_the_programme(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    code = (await project(programme))["code"]
    url = f"/v1/projects/{code}/milestones"
    early = await programme.post(
        url,
        json={"name": "完成选址", "deadline": "2015-06-30"},
        headers={**JINGHONG_OFFICIAL, **ZH},
    )
    body = problem(early, 422, "milestone_before_programme", "deadline")
    assert body["programme_start"] == "2016-10-01"
    assert "早于示范项目开始日期" in body["detail"]
    problem(
        await programme.post(url, json={"name": "x", "deadline": "2019-06-30"},
                             headers=JINGHONG_OFFICIAL),
        422, "milestone_after_programme", "deadline",
    )  # fmt: skip
    added = await programme.post(
        url, json={"name": "完成30个村级服务点建设", "deadline": "2017-04-01"},
        headers=JINGHONG_OFFICIAL,
    )  # fmt: skip
    assert added.status_code == 201, added.text
    milestone = added.json()
    assert (milestone["status"], milestone["overdue"]) == ("pending", True)
    done = await programme.patch(
        f"{url}/{milestone['id']}",
        json={"status": "done", "completed_on": "2017-03-28",
              "evidence": [{"title": "验收报告", "reference": "景商务〔2017〕12号"}]},
        headers={**JINGHONG_OFFICIAL, "If-Match": '"1"'},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["overdue"]) == ("done", False)


async def test_stations_are_checked_against_the_stations_service(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    village = await project(programme)
    township = await project(programme, category="township_stations", name="乡镇服务站")
    training = await project(programme, category="training", name="电商培训")
    point = await insert_station(db, JINGLONG, status="operating")
    station = await insert_station(db, MENGLONG, status="accepted")
    elsewhere = await insert_station(db, FANGSHAN_VILLAGE, status="accepted")
    url = f"/v1/projects/{village['code']}/stations"

    linked = await programme.put(f"{url}/{point.code}", json={"allocation": "28000"},
                                 headers=JINGHONG_OFFICIAL)  # fmt: skip
    assert linked.status_code == 201, linked.text
    assert linked.json()["stations"] == [
        {
            "station_code": point.code,
            "tier": "village",
            "allocation": "28000.00",
            "disbursed": "0.00",
        }
    ]
    again = await programme.put(f"{url}/{point.code}", json={"allocation": "28000"},
                                headers=JINGHONG_OFFICIAL)  # fmt: skip
    assert again.status_code == 200

    other = await programme.put(f"{url}/{elsewhere.code}", headers={**JINGHONG_OFFICIAL, **ZH})
    body = problem(other, 422, "station_in_other_county", "station_code")
    assert body["station_county_code"] == "141128000000"
    problem(await programme.put(f"{url}/{station.code}", headers=JINGHONG_OFFICIAL), 422,
            "station_tier_mismatch", "station_code")  # fmt: skip
    problem(await programme.put(f"{url}/{MANBING}-01", headers=JINGHONG_OFFICIAL), 422,
            "unknown_station", "station_code")  # fmt: skip
    problem(
        await programme.put(f"/v1/projects/{training['code']}/stations/{point.code}",
                            headers=JINGHONG_OFFICIAL),
        422, "stations_not_applicable", "category",
    )  # fmt: skip
    ok = await programme.put(f"/v1/projects/{township['code']}/stations/{station.code}",
                             headers=JINGHONG_OFFICIAL)  # fmt: skip
    assert ok.status_code == 201, ok.text


async def test_acceptance_lists_everything_missing(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    code = (await project(programme, company=None, responsible={"name": "岩温香"}))["code"]
    point = await insert_station(db, JINGLONG, status="operating")
    await programme.put(f"/v1/projects/{code}/stations/{point.code}", headers=JINGHONG_OFFICIAL)
    milestone = (
        await programme.post(f"/v1/projects/{code}/milestones",
                             json={"name": "建成服务点", "deadline": "2017-04-01"},
                             headers=JINGHONG_OFFICIAL)
    ).json()  # fmt: skip

    async def move(to: str, headers: dict[str, str] = JINGHONG_OFFICIAL) -> httpx.Response:
        return await programme.post(f"/v1/projects/{code}/transitions", json={"to": to},
                                    headers=headers)  # fmt: skip

    problem(await move("accepted"), 409, "illegal_transition", "to")
    assert (await move("in_progress")).status_code == 200
    completed = await move("completed")
    assert completed.status_code == 200
    refused = problem(
        await move("accepted", {**JINGHONG_OFFICIAL, **ZH}), 422, "acceptance_incomplete"
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("company.name", "missing"),
        ("company.credit_code", "missing"),
        ("responsible.phone", "missing"),
        ("milestones[0].status", "milestone_not_done"),
        ("milestones[0].evidence", "missing_evidence"),
        (f"stations.{point.code}", "station_not_accepted"),
    ]
    assert "承办单位名称" in refused["detail"]
    assert "尚未验收" in refused["errors"][-1]["detail"]

    await programme.patch(
        f"/v1/projects/{code}",
        json={"company": {"name": "景洪市电子商务运营有限公司", "credit_code": "91110000802100433B"},
              "responsible": {"name": "岩温香", "phone": "13912345678"}},
        headers={**JINGHONG_OFFICIAL, "If-Match": completed.headers["etag"]},
    )  # fmt: skip
    await programme.patch(
        f"/v1/projects/{code}/milestones/{milestone['id']}",
        json={"status": "done", "evidence": [{"title": "验收报告", "reference": "景商务〔2017〕12号"}]},
        headers={**JINGHONG_OFFICIAL, "If-Match": '"1"'},
    )  # fmt: skip
    await db.execute("UPDATE stations.station SET status = 'accepted' WHERE code = $1", point.code)
    accepted = await move("accepted")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    problem(
        await programme.patch(f"/v1/projects/{code}", json={"name": "x"},
                              headers={**JINGHONG_OFFICIAL, "If-Match": accepted.headers["etag"]}),
        409, "project_closed",
    )  # fmt: skip


async def test_stations_down_is_a_503(programme: httpx.AsyncClient, programme_app: object) -> None:
    await demonstration_county(programme)
    code = (await project(programme))["code"]
    client = programme_app.state.stations  # type: ignore[attr-defined]
    base = client.base_url
    client.base_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    try:
        r = await programme.put(f"/v1/projects/{code}/stations/{JINGLONG}-01",
                                headers=JINGHONG_OFFICIAL)  # fmt: skip
    finally:
        client.base_url = base
    problem(r, 503, "stations_unavailable")
    assert r.headers["retry-after"] == "5"


async def test_training_sessions_are_checked_against_the_training_service(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    code = (await project(programme, category="training", name="电商培训"))["code"]
    held = await insert_session(db)
    planned = await insert_session(db, status="planned")
    cancelled = await insert_session(db, status="cancelled")
    elsewhere = await insert_session(db, FANGSHAN_VILLAGE)
    url = f"/v1/projects/{code}/training-sessions"
    for session_id in (held, planned):
        r = await programme.put(f"{url}/{session_id}", headers=JINGHONG_OFFICIAL)
        assert r.status_code == 201, r.text
    assert r.json()["training_sessions"] == [held, planned]
    problem(await programme.put(f"{url}/{cancelled}", headers=JINGHONG_OFFICIAL), 422,
            "session_cancelled", "session_id")  # fmt: skip
    other = problem(await programme.put(f"{url}/{elsewhere}", headers=JINGHONG_OFFICIAL), 422,
                    "session_in_other_county", "session_id")  # fmt: skip
    assert other["session_division_code"] == FANGSHAN_VILLAGE
    problem(await programme.put(f"{url}/999999", headers=JINGHONG_OFFICIAL), 422,
            "unknown_training_session", "session_id")  # fmt: skip
    for to in ("in_progress", "completed"):
        await programme.post(f"/v1/projects/{code}/transitions", json={"to": to},
                             headers=JINGHONG_OFFICIAL)  # fmt: skip
    refused = await programme.post(f"/v1/projects/{code}/transitions", json={"to": "accepted"},
                                   headers=JINGHONG_OFFICIAL)  # fmt: skip
    gaps = {e["field"]: e["code"] for e in problem(refused, 422, "acceptance_incomplete")["errors"]}
    assert gaps[f"training_sessions.{planned}"] == "session_not_held"
    assert f"training_sessions.{held}" not in gaps
