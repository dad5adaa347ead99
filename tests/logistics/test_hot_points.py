"""The hot read of a point's carriers (``common.hotpath``, ADR 0076: a station's record asks
it every time): the plain case — a caller who sees every carrier, today — gives the route's
answer byte for byte; a carrier, the public, ``as_of`` and unknown points go to the route."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.logistics.points.router import HOT_CARRIERS
from tests.hotpath import Passed, layer_client
from tests.logistics.factories import ADMIN, JIESHANG, ZAOLIN, ZTO, add_point, coverage
from tests.support import internal_headers

TO_THE_ROUTE = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
ROLES = {
    "admin": ADMIN,
    "official": internal_headers(Role.OFFICIAL, subject="o:1", division="141102"),
    "official elsewhere": internal_headers(Role.OFFICIAL, subject="o:2", division="141124"),
    "platform": internal_headers(Role.PLATFORM, subject="p:1", division="14"),
    "operator": internal_headers(Role.OPERATOR, subject="op:1", station=f"{JIESHANG}-01"),
}


@pytest.fixture
async def point(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> str:
    await add_point(db, JIESHANG)
    rows = [coverage(JIESHANG, carrier="zto"), coverage(ZAOLIN, carrier="sf")]
    r = await logistics.post("/v1/coverage/bulk", json=rows, headers=ADMIN)
    assert r.json()["counts"]["created"] == 2, r.text
    return f"{JIESHANG}-01"


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_a_plain_read_answers_what_the_route_does(
    logistics: httpx.AsyncClient, point: str, role: str
) -> None:
    url = f"/v1/points/{point}/carriers"
    hot = await logistics.get(url, headers=ROLES[role])
    routed = await logistics.get(url, headers=ROLES[role] | TO_THE_ROUTE)
    assert hot.status_code == 200, hot.text
    assert [c["carrier"] for c in hot.json()["carriers"]] == ["zto"]
    drop = "x-request-id"
    assert (hot.status_code, {k: v for k, v in hot.headers.items() if k != drop}, hot.content) == (
        routed.status_code,
        {k: v for k, v in routed.headers.items() if k != drop},
        routed.content,
    )


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/points/{point}/carriers", ZTO),  # a carrier sees only itself
        ("/v1/points/{point}/carriers", internal_headers(Role.PUBLIC, subject="anonymous")),
        ("/v1/points/{point}/carriers", {}),
        ("/v1/points/{point}/carriers?as_of=2026-06-15", ADMIN),
        ("/v1/points/141102100200-09/carriers", ADMIN),  # no such point
        ("/v1/points/1411021-01/carriers", ADMIN),  # not a station code
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    logistics: httpx.AsyncClient,
    logistics_app: FastAPI,
    point: str,
    path: str,
    headers: dict[str, str],
) -> None:
    route = Passed()
    async with layer_client(logistics_app, [HOT_CARRIERS], route) as client:
        answer = await client.get(path.format(point=point), headers=headers)
        plain = await client.get(f"/v1/points/{point}/carriers", headers=ADMIN)
    assert answer.status_code == 299
    assert route.paths == [path.format(point=point).partition("?")[0]]
    assert plain.status_code == 200, plain.text
    assert plain.json()["point"]["code"] == point
