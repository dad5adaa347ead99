"""Disbursements (资金拨付): exact money, never more than what is left, a voucher counted
once, mistakes cancelled rather than deleted."""

import asyncio

import asyncpg
import httpx

from tests.programme.helpers import (
    FANGSHAN_OFFICIAL,
    JINGHONG,
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


async def test_a_countys_voucher_list_in_one_upload(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    code = (await project(programme, budget={"central": "50000"}))["code"]
    url = f"/v1/demonstration-counties/{JINGHONG}/disbursements/bulk"
    template = await programme.get(f"{url}/template", headers=PLATFORM)
    assert template.content.decode("utf-8-sig").startswith("项目编号,拨付日期,拨付金额(元)")
    csv = (
        "项目编号,拨付日期,拨付金额(元),资金来源,收款单位,凭证号,资金用途\r\n"
        f'{code},2017/3/15,"30,000.00",中央财政资金,景洪市电子商务运营有限公司,JH-B-1,设备\r\n'
        f'{code},2017/4/15,"30,000.00",中央,景洪市电子商务运营有限公司,JH-B-2,设备\r\n'
        f"{code},2017/4/16,-5,中央,景洪市电子商务运营有限公司,JH-B-3,\r\n"
        f"141128-001,2017/4/16,5,中央,某公司,JH-B-4,\r\n"
    ).encode("gb18030")
    headers = {**JINGHONG_OFFICIAL, "Content-Type": "text/csv", **ZH}
    dry = await programme.post(url, params={"dry_run": "true"}, content=csv, headers=headers)
    assert dry.status_code == 200, dry.text
    expected = [
        ("created", None),
        ("rejected", "over_remaining_budget"),
        ("rejected", "non_positive_amount"),
        ("rejected", "project_in_other_county"),
    ]
    assert [(r["status"], r.get("code")) for r in dry.json()["results"]] == expected
    assert "剩余预算" in dry.json()["results"][1]["message"]
    listed = await programme.get("/v1/disbursements", params={"project": code}, headers=PLATFORM)
    assert listed.json()["items"] == []

    sent = await programme.post(
        url, content=csv, headers={**headers, "Idempotency-Key": "jh-bulk-1"}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["counts"] == {"rows": 4, "created": 1, "updated": 0, "unchanged": 0,
                                     "rejected": 3}  # fmt: skip
    again = await programme.post(
        url, content=csv, headers={**headers, "Idempotency-Key": "jh-bulk-1"}
    )
    assert again.json() == sent.json()
    listed = await programme.get("/v1/disbursements", params={"project": code}, headers=PLATFORM)
    assert [(d["voucher_number"], d["amount"]) for d in listed.json()["items"]] == [
        ("JH-B-1", "30000.00")
    ]
    problem(await programme.post(url, content=csv, headers={**FANGSHAN_OFFICIAL,
                                 "Content-Type": "text/csv"}), 403, "outside_scope")  # fmt: skip


async def test_a_person_as_payee_is_masked_outside_the_county(
    programme: httpx.AsyncClient,
) -> None:
    await demonstration_county(programme)
    code = (await project(programme, budget={"central": "100000"}))["code"]
    for voucher, payee in (
        ("JH-P-COMPANY", "景洪市电子商务运营有限公司"),
        ("JH-P-PERSON", "岩温香"),
    ):
        paid = await programme.post(f"/v1/projects/{code}/disbursements",
                                    json=payment(voucher, payee=payee), headers=JINGHONG_OFFICIAL)  # fmt: skip
        assert paid.status_code == 201, paid.text
        assert (
            paid.json()["disbursement"]["payee"],
            paid.json()["disbursement"]["payee_masked"],
        ) == (payee, False)

    def payees(answer: httpx.Response) -> list[tuple[str, bool]]:
        assert answer.status_code == 200, answer.text
        return [(d["payee"], d["payee_masked"]) for d in answer.json()["items"]]

    listed = {"county": JINGHONG}
    # The county's officials see every payee in full ...
    assert payees(
        await programme.get("/v1/disbursements", params=listed, headers=JINGHONG_OFFICIAL)
    ) == [
        ("景洪市电子商务运营有限公司", False),
        ("岩温香", False),
    ]
    # ... a platform reading the county sees the company, not the person.
    assert payees(await programme.get("/v1/disbursements", params=listed, headers=PLATFORM)) == [
        ("景洪市电子商务运营有限公司", False),
        ("岩*香", True),
    ]
