"""The hot reads of logistics (``common.hotpath``, ADR 0052): the plain case of the coverage
indicators and of the townships without a courier, answered before FastAPI's routing, is
the route's answer byte for byte (status, headers, body) for every role; every other
request — bad parameters above all — is passed on to the route, which answers it with the
problem details it always gave.

How the two answers are had and compared: ``tests.hotpath``.
"""

from collections.abc import Mapping

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.logistics.indicators.router import HOT_ROUTES
from tests.hotpath import declined, declined_in_chinese, hot_and_routed
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    LISHI,
    LISHI_OFFICIAL,
    WUCHENG,
    XIALUOBAO,
    ZAOLIN,
    ZAOLIN_VILLAGE,
    ZTO,
    add_point,
    coverage,
)
from tests.support import internal_headers, problem

PUBLIC = internal_headers(Role.PUBLIC, subject="anonymous")
ROLES = {"public": PUBLIC, "carrier": ZTO, "official": LISHI_OFFICIAL, "admin": ADMIN}
COVERAGE = "/v1/indicators/coverage"
TOWNSHIPS = "/v1/indicators/gaps/townships-without-courier"


@pytest.fixture
async def _coverage(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    """Points, coverage of several modes and periods, a township hub and a shared depot."""
    for division in (JIESHANG, XIALUOBAO, ZAOLIN_VILLAGE):
        await add_point(db, division)
    rows = [
        coverage(JIESHANG, carrier="zto"),
        coverage(ZAOLIN, carrier="sf", mode="via_township_hub"),
        coverage(XIALUOBAO, carrier="yto", mode="postal", valid_to="2026-05-31"),
    ]
    r = await logistics.post("/v1/coverage/bulk", json=rows, headers=ADMIN)
    assert r.json()["counts"]["created"] == 3, r.text
    hub = {"code": "WC-HUB", "kind": "township_hub", "name": "吴城网点", "division_code": WUCHENG, "operator_carrier": "zto"}  # fmt: skip
    centre = {"code": "LS-C", "kind": "county_centre", "name": "离石中心", "division_code": LISHI, "operator_name": "供销物流", "carriers": ["zto", "sf", "yto"]}  # fmt: skip
    for depot in (hub, centre):
        r = await logistics.put(f"/v1/depots/{depot['code']}", json=depot, headers=ADMIN)
        assert r.status_code == 201, r.text


@pytest.mark.usefixtures("_coverage")
@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(
    "query",
    [
        "?division=141102&as_of=2026-06-15",
        "?as_of=2026-03-01&division=1411&min_deliveries=7",
        "?division=141102100&min_deliveries=1",
        "?division=14",
        "",
    ],
)
async def test_coverage_indicators_answer_what_the_route_does(
    logistics: httpx.AsyncClient, logistics_app: FastAPI, role: str, query: str
) -> None:
    hot = await hot_and_routed(logistics, logistics_app, HOT_ROUTES, COVERAGE + query, ROLES[role])
    assert hot.json()["township_coverage"]["total"] > 0


@pytest.mark.usefixtures("_coverage")
@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(
    ("query", "pages"),
    [
        ("?division=141102&as_of=2026-06-15&limit=1", 2),
        ("?limit=3&division=1411", 2),
        ("?division=141102", 1),
    ],
)
async def test_townships_without_courier_answer_what_the_route_does_page_by_page(
    logistics: httpx.AsyncClient, logistics_app: FastAPI, role: str, query: str, pages: int
) -> None:
    url, seen = TOWNSHIPS + query, 0
    while url:
        page = await hot_and_routed(logistics, logistics_app, HOT_ROUTES, url, ROLES[role])
        seen += 1
        following = page.json()["next"]
        url = httpx.URL(following).raw_path.decode() if following else ""
    assert seen >= pages


@pytest.mark.parametrize(
    ("url", "headers", "status", "code", "field"),
    [
        # what the route's own functions refuse
        (f"{COVERAGE}?division=14110", PUBLIC, 422, "invalid_division", "division"),
        (f"{COVERAGE}?division=141199", PUBLIC, 404, "division_not_found", "division"),
        (f"{TOWNSHIPS}?division=141199", ZTO, 404, "division_not_found", "division"),
        (f"{TOWNSHIPS}?cursor=!!", PUBLIC, 400, "invalid_cursor", "cursor"),
        (f"{TOWNSHIPS}?cursor=WzEsMl0", PUBLIC, 400, "invalid_cursor", "cursor"),
        # what the route's declarations refuse (FastAPI's validation)
        (f"{COVERAGE}?min_deliveries=15", PUBLIC, 422, "validation_failed", "min_deliveries"),
        (f"{COVERAGE}?min_deliveries=0", PUBLIC, 422, "validation_failed", "min_deliveries"),
        (f"{COVERAGE}?min_deliveries=often", ZTO, 422, "validation_failed", "min_deliveries"),
        (f"{COVERAGE}?as_of=2026-13-01", PUBLIC, 422, "validation_failed", "as_of"),
        (f"{COVERAGE}?as_of=20260615", PUBLIC, 422, "validation_failed", "as_of"),
        (f"{COVERAGE}?as_of=", PUBLIC, 422, "validation_failed", "as_of"),
        (f"{COVERAGE}?division=1411021000001", PUBLIC, 422, "validation_failed", "division"),
        (f"{TOWNSHIPS}?limit=501", PUBLIC, 422, "validation_failed", "limit"),
        (f"{TOWNSHIPS}?limit=0", LISHI_OFFICIAL, 422, "validation_failed", "limit"),
        (f"{TOWNSHIPS}?as_of=yesterday", PUBLIC, 422, "validation_failed", "as_of"),
        # no token
        (COVERAGE, {}, 401, "token_missing", None),
        (TOWNSHIPS, {"Authorization": "Bearer forged"}, 401, "token_invalid", None),
    ],
)
async def test_what_the_route_refuses_it_still_answers(
    logistics: httpx.AsyncClient,
    logistics_app: FastAPI,
    url: str,
    headers: Mapping[str, str],
    status: int,
    code: str,
    field: str | None,
) -> None:
    got = await declined(logistics, logistics_app, HOT_ROUTES, url, headers)
    problem(got, status, code, field)


async def test_problems_are_in_chinese_when_asked(
    logistics: httpx.AsyncClient, logistics_app: FastAPI
) -> None:
    for url in (f"{COVERAGE}?division=14110", f"{TOWNSHIPS}?limit=501"):
        got = await declined_in_chinese(logistics, logistics_app, HOT_ROUTES, url, PUBLIC)
        assert got.status_code == 422


@pytest.mark.usefixtures("_coverage")
@pytest.mark.parametrize(
    "url",
    [
        # a parameter the route does not take, given twice, empty, or percent-encoded
        f"{COVERAGE}?division=141102&history=true",
        f"{COVERAGE}?division=1411&division=141102",
        f"{COVERAGE}?division=",
        f"{COVERAGE}?division=14%31102",
        f"{TOWNSHIPS}?limit=5&limit=6",
        # the other gap list and the places have no hot path
        "/v1/indicators/gaps/points-without-carrier?division=141102",
        "/v1/indicators/coverage/places?codes=141102100000",
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    logistics: httpx.AsyncClient, logistics_app: FastAPI, url: str
) -> None:
    got = await declined(logistics, logistics_app, HOT_ROUTES, url, PUBLIC)
    assert got.status_code == 200, got.text


@pytest.mark.usefixtures("_coverage")
async def test_hot_reads_are_measured_under_the_routes_templates(
    logistics: httpx.AsyncClient, logistics_app: FastAPI
) -> None:
    for url in (COVERAGE, TOWNSHIPS):
        await hot_and_routed(logistics, logistics_app, HOT_ROUTES, url, PUBLIC)
    metrics = (await logistics.get("/metrics")).text
    assert f'route="{COVERAGE}"' in metrics
    assert f'route="{TOWNSHIPS}"' in metrics
