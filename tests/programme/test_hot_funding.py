"""The hot read of what funds a station (``common.hotpath``, ADR 0076: a station's record
asks it every time): a plain request gives the route's answer byte for byte, payees masked
as the route masks them; a refusal, a bad code or a query goes to the route."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.programme.funding.router import HOT_FUNDING
from tests.hotpath import Passed, layer_client
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
from tests.support import internal_headers

TO_THE_ROUTE = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
ROLES = {
    "admin": ADMIN,
    "official": JINGHONG_OFFICIAL,
    "platform": internal_headers(Role.PLATFORM, subject="p:53", division="53"),
}


@pytest.fixture
async def funded(programme: httpx.AsyncClient, db: asyncpg.Pool) -> str:
    await demonstration_county(programme)
    point = await insert_station(db, JINGLONG, status="operating")
    code = (await project(programme))["code"]
    linked = await programme.put(
        f"/v1/projects/{code}/stations/{point.code}",
        json={"allocation": "28000"},
        headers=JINGHONG_OFFICIAL,
    )
    assert linked.status_code == 201, linked.text
    for voucher, payee in (("景财-001", "王小明"), ("景财-002", "景洪市电子商务有限公司")):
        r = await programme.post(
            f"/v1/projects/{code}/disbursements",
            json=payment(voucher, "1000", station_code=point.code) | {"payee": payee},
            headers=JINGHONG_OFFICIAL,
        )
        assert r.status_code == 201, r.text
    return point.code


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_a_plain_read_answers_what_the_route_does(
    programme: httpx.AsyncClient, funded: str, role: str
) -> None:
    url = f"/v1/stations/{funded}/funding"
    hot = await programme.get(url, headers=ROLES[role])
    routed = await programme.get(url, headers=ROLES[role] | TO_THE_ROUTE)
    assert hot.status_code == 200, hot.text
    assert len(hot.json()["disbursements"]) == 2
    drop = "x-request-id"
    assert (hot.status_code, {k: v for k, v in hot.headers.items() if k != drop}, hot.content) == (
        routed.status_code,
        {k: v for k, v in routed.headers.items() if k != drop},
        routed.content,
    )
    masked = [d["payee_masked"] for d in hot.json()["disbursements"]]
    assert masked == ([True, False] if role == "platform" else [False, False])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/stations/{code}/funding", LINXIAN_OFFICIAL),  # outside its scope
        ("/v1/stations/{code}/funding", internal_headers(Role.PUBLIC, subject="anonymous")),
        ("/v1/stations/{code}/funding", {}),
        ("/v1/stations/{code}/funding?x=1", ADMIN),
        ("/v1/stations/5328011-01/funding", ADMIN),  # not a station code
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    programme: httpx.AsyncClient,
    programme_app: FastAPI,
    funded: str,
    path: str,
    headers: dict[str, str],
) -> None:
    route = Passed()
    async with layer_client(programme_app, [HOT_FUNDING], route) as client:
        answer = await client.get(path.format(code=funded), headers=headers)
        plain = await client.get(f"/v1/stations/{funded}/funding", headers=ADMIN)
    assert answer.status_code == 299
    assert route.paths == [path.format(code=funded).partition("?")[0]]
    assert plain.status_code == 200, plain.text
    assert plain.json()["station_code"] == funded
