"""What funds one station: the projects linked to it and every payment naming it, read only
inside the county's scope."""

import asyncpg
import httpx

from common.auth import Role
from tests.programme.helpers import (
    ADMIN,
    JINGHONG_OFFICIAL,
    JINGLONG,
    LINXIAN_OFFICIAL,
    demonstration_county,
    payment,
    project,
)
from tests.stations.factories import insert_station
from tests.support import internal_headers, problem


async def test_projects_and_payments_of_a_station(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    point = await insert_station(db, JINGLONG, status="operating")
    code = (await project(programme))["code"]
    linked = await programme.put(
        f"/v1/projects/{code}/stations/{point.code}",
        json={"allocation": "28000"},
        headers=JINGHONG_OFFICIAL,
    )
    assert linked.status_code == 201, linked.text
    for voucher, amount in (("景财-001", "10000"), ("景财-002", "5000.50")):
        r = await programme.post(
            f"/v1/projects/{code}/disbursements",
            json=payment(voucher, amount, station_code=point.code),
            headers=JINGHONG_OFFICIAL,
        )
        assert r.status_code == 201, r.text
    await programme.post(
        f"/v1/projects/{code}/disbursements", json=payment("景财-003"), headers=JINGHONG_OFFICIAL
    )

    got = await programme.get(f"/v1/stations/{point.code}/funding", headers=JINGHONG_OFFICIAL)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["projects"] == [
        {
            "code": code,
            "name": "村级电子商务服务点建设",
            "category": "village_points",
            "status": "planned",
            "allocation": "28000.00",
            "disbursed": "15000.50",
        }
    ]
    assert [d["voucher_number"] for d in body["disbursements"]] == ["景财-001", "景财-002"]

    empty = (await programme.get(f"/v1/stations/{JINGLONG}-02/funding", headers=ADMIN)).json()
    assert (empty["projects"], empty["disbursements"]) == ([], [])
    url = f"/v1/stations/{point.code}/funding"
    problem(await programme.get(url, headers=LINXIAN_OFFICIAL), 403, "outside_scope")
    public = internal_headers(Role.PUBLIC, subject="anonymous")
    problem(await programme.get(url, headers=public), 401, "authentication_required")
    problem(
        await programme.get("/v1/stations/5328011-01/funding", headers=ADMIN),
        422,
        "validation_failed",
    )
