"""Disbursements (资金拨付): exact money, never more than what is left, a voucher counted
once, mistakes cancelled rather than deleted."""

import asyncio

import asyncpg
import httpx

from tests.programme.helpers import (
    FANGSHAN_OFFICIAL,
    JINGHONG_OFFICIAL,
    JINGLONG,
    PLATFORM,
    ZH,
    demonstration_county,
    payment,
    project,
)
from tests.stations.factories import insert_station
from tests.support import problem


async def test_payments_stay_within_the_budget(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    code = (await project(programme, budget={"central": "100000.10", "local": "5000"}))["code"]
    url = f"/v1/projects/{code}/disbursements"
    first = await programme.post(
        url, json=payment("JH-2017-001", "60000.05"),
        headers={**JINGHONG_OFFICIAL, "Idempotency-Key": "pay-jh-2017-001"},
    )  # fmt: skip
    assert first.status_code == 201, first.text
    assert first.json()["project_remaining"]["central"] == "40000.05"
    replay = await programme.post(
        url, json=payment("JH-2017-001", "60000.05"),
        headers={**JINGHONG_OFFICIAL, "Idempotency-Key": "pay-jh-2017-001"},
    )  # fmt: skip
    assert replay.status_code == 201
    assert replay.json() == first.json()

    over = await programme.post(url, json=payment("JH-2017-002", "40000.06"),
                                headers={**JINGHONG_OFFICIAL, **ZH})  # fmt: skip
    body = problem(over, 422, "over_remaining_budget", "amount")
    assert body["remaining"] == "40000.05"
    assert "剩余预算 ¥40,000.05" in body["detail"]
    problem(await programme.post(url, json=payment("JH-2017-001"), headers=JINGHONG_OFFICIAL),
            409, "voucher_exists", "voucher_number")  # fmt: skip
    for amount in ("0", "-5"):
        bad = await programme.post(url, json=payment("JH-X", amount), headers=JINGHONG_OFFICIAL)
        assert problem(bad, 422, "validation_failed", "amount")["errors"][0]["code"] == (
            "non_positive_amount"
        )
    problem(
        await programme.post(url, json=payment("JH-X", "1.001"), headers=JINGHONG_OFFICIAL),
        422, "validation_failed", "amount",
    )  # fmt: skip
    problem(
        await programme.post(url, json=payment("JH-X", paid_on="2016-09-30"),
                             headers=JINGHONG_OFFICIAL),
        422, "before_programme", "paid_on",
    )  # fmt: skip
    problem(
        await programme.post(url, json=payment("JH-X", paid_on="2999-01-01"),
                             headers=JINGHONG_OFFICIAL),
        422, "future_date", "paid_on",
    )  # fmt: skip
    problem(
        await programme.post(url, json=payment("JH-X", station_code=f"{JINGLONG}-01"),
                             headers=JINGHONG_OFFICIAL),
        422, "station_not_in_project", "station_code",
    )  # fmt: skip
    problem(await programme.post(url, json=payment("JH-X"), headers=FANGSHAN_OFFICIAL), 403,
            "outside_scope")  # fmt: skip
    problem(await programme.post(url, json=payment("JH-X"), headers=PLATFORM), 403,
            "role_forbidden")  # fmt: skip

    cancelled = await programme.post(
        f"/v1/disbursements/{first.json()['disbursement']['id']}/cancellation",
        json={"reason": "凭证号录入错误"}, headers=JINGHONG_OFFICIAL,
    )  # fmt: skip
    assert cancelled.json()["project_remaining"]["central"] == "100000.10"
    listed = await programme.get("/v1/disbursements", params={"project": code}, headers=PLATFORM)
    assert [d["cancelled"] for d in listed.json()["items"]] == [True]
    feed = await programme.get("/v1/changes", params={"topic": "disbursement"}, headers=PLATFORM)
    assert [e["action"] for e in feed.json()["items"]] == ["recorded", "cancelled"]
    assert "payee" not in feed.json()["items"][0]["payload"]


async def test_concurrent_payments_cannot_both_take_the_last_yuan(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    code = (await project(programme, budget={"central": "50000"}))["code"]
    point = await insert_station(db, JINGLONG)
    await programme.put(f"/v1/projects/{code}/stations/{point.code}", headers=JINGHONG_OFFICIAL)
    answers = await asyncio.gather(
        *(
            programme.post(
                f"/v1/projects/{code}/disbursements",
                json=payment(f"JH-C-{i}", "30000", station_code=point.code),
                headers=JINGHONG_OFFICIAL,
            )
            for i in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 422, 422, 422]
    paid = await db.fetchval(
        "SELECT sum(amount) FROM programme.disbursement WHERE station_code = $1", point.code
    )
    assert str(paid) == "30000.00"
