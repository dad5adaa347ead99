"""The hot indicator reads of stations (``common.hotpath``, ADR 0052): the plain case of the
network indicators, the sales and the gap lists, answered before FastAPI's routing, is the
route's answer byte for byte (status, headers, body) for every role that may read them;
every other request — bad parameters above all — is passed on to the route, which answers
it with the problem details it always gave.

How the two answers are had and compared: ``tests.hotpath``.
"""

from collections.abc import Mapping

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from common.auth import NATION, Role
from services.stations.indicators.router import HOT_ROUTES
from tests.hotpath import declined, hot_and_routed
from tests.stations.factories import flag_poor_village, insert_report, insert_station
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.support import internal_headers, problem

COUNTY = "141124"  # 临县
TOWNSHIP = "141124100000"
PLATFORM = internal_headers(Role.PLATFORM, subject="p:1", division=NATION)
OFFICIAL = internal_headers(Role.OFFICIAL, subject="o:1", division=COUNTY)
ELSEWHERE = internal_headers(Role.OFFICIAL, subject="o:2", division="141102")
PUBLIC = internal_headers(Role.PUBLIC, subject="public")
LAST, EARLIER = _month(-1), _month(-2)


@pytest.fixture
async def _network(db: asyncpg.Pool) -> None:
    """A township station, village points of every kind of status, reports of two months,
    a poor village: each figure and gap list has something to count."""
    villages = await db.fetch(
        "SELECT code FROM stations.division WHERE parent_code = $1"
        " AND division_class = 'village_committee' ORDER BY code LIMIT 4",
        TOWNSHIP,
    )
    township = await insert_station(db, TOWNSHIP)
    await insert_report(db, township.id, LAST, upward_amount="1234.50")
    for village, status in zip(villages, ("operating", "accepted", "building"), strict=False):
        point = await insert_station(db, village["code"], status=status)
        for month in (EARLIER, LAST):
            await insert_report(db, point.id, month, downward_orders=7)
    await flag_poor_village(db, villages[-1]["code"])


async def _pages(
    stations: httpx.AsyncClient, app: FastAPI, url: str, headers: Mapping[str, str]
) -> int:
    """Every page of a gap list compared, following ``next``; how many pages there were."""
    pages = 0
    while url:
        page = await hot_and_routed(stations, app, HOT_ROUTES, url, headers)
        pages += 1
        following = page.json()["next"]
        url = httpx.URL(following).raw_path.decode() if following else ""
    return pages


READERS = {"platform": PLATFORM, "official": OFFICIAL}
PUBLIC_READERS = READERS | {"public": PUBLIC, "official elsewhere": ELSEWHERE}


@pytest.mark.usefixtures("_network")
@pytest.mark.parametrize("role", sorted(PUBLIC_READERS))
@pytest.mark.parametrize(
    "url",
    [
        f"/v1/indicators/network?division={COUNTY}",
        f"/v1/indicators/network?division={TOWNSHIP}&month={_text(LAST)}",
        "/v1/indicators/network?division=14",
        f"/v1/indicators/network?month={_text(EARLIER)}",
        "/v1/indicators/network",
    ],
)
async def test_network_indicators_answer_what_the_route_does(
    stations: httpx.AsyncClient, stations_app: FastAPI, role: str, url: str
) -> None:
    hot = await hot_and_routed(stations, stations_app, HOT_ROUTES, url, PUBLIC_READERS[role])
    assert hot.json()["stations"]["total"] >= 4


@pytest.mark.usefixtures("_network")
@pytest.mark.parametrize("role", sorted(READERS))
@pytest.mark.parametrize(
    "query",
    [
        f"division={COUNTY}",
        f"division={COUNTY}&from={_text(EARLIER)}&to={_text(LAST)}",
        f"to={_text(LAST)}&division={TOWNSHIP}",
        f"from={_text(LAST)}&division={COUNTY}",
    ],
)
async def test_sales_answer_what_the_route_does(
    stations: httpx.AsyncClient, stations_app: FastAPI, role: str, query: str
) -> None:
    url = f"/v1/indicators/sales?{query}"
    hot = await hot_and_routed(stations, stations_app, HOT_ROUTES, url, READERS[role])
    assert hot.json()["total"]["reports"] > 0


@pytest.mark.usefixtures("_network")
@pytest.mark.parametrize("query", ["", "?division=1411", "?division=14&from=2020-01"])
async def test_wider_sales_answer_what_the_route_does(
    stations: httpx.AsyncClient, stations_app: FastAPI, query: str
) -> None:
    url = f"/v1/indicators/sales{query}"
    hot = await hot_and_routed(stations, stations_app, HOT_ROUTES, url, PLATFORM)
    assert hot.json()["total"]["reports"] > 0


@pytest.mark.usefixtures("_network")
@pytest.mark.parametrize("role", sorted(PUBLIC_READERS))
@pytest.mark.parametrize(
    ("url", "pages"),
    [
        (f"/v1/indicators/gaps/villages?division={TOWNSHIP}&limit=7", 2),
        (f"/v1/indicators/gaps/townships?limit=5&division={COUNTY}", 2),
        (f"/v1/indicators/gaps/poor_villages?division={COUNTY}", 1),
        ("/v1/indicators/gaps/villages?division=1411", 1),
    ],
)
async def test_gap_lists_answer_what_the_route_does_page_by_page(
    stations: httpx.AsyncClient, stations_app: FastAPI, role: str, url: str, pages: int
) -> None:
    assert await _pages(stations, stations_app, url, PUBLIC_READERS[role]) >= pages


@pytest.mark.usefixtures("_network")
@pytest.mark.parametrize(
    ("url", "headers", "status", "code", "field"),
    [
        # what the route's own functions refuse
        ("/v1/indicators/network?division=14x", PUBLIC, 422, "invalid_division", "division"),
        ("/v1/indicators/network?division=1499", PUBLIC, 404, "division_not_found", "division"),
        ("/v1/indicators/network?month=2026-13", PUBLIC, 422, "invalid_month", "month"),
        ("/v1/indicators/network?month=FUTURE", PUBLIC, 422, "future_month", "month"),
        ("/v1/indicators/sales?from=2026-09&to=2026-01", PLATFORM, 422, "invalid_range", "from"),
        ("/v1/indicators/sales?from=2010-01&to=2026-01", PLATFORM, 422, "range_too_long", "from"),
        ("/v1/indicators/sales?from=2026/01", PLATFORM, 422, "invalid_month", "from"),
        ("/v1/indicators/sales?to=26-01", OFFICIAL, 422, "invalid_month", "to"),
        ("/v1/indicators/sales?division=141102", OFFICIAL, 403, "outside_scope", None),
        ("/v1/indicators/sales", OFFICIAL, 403, "outside_scope", None),
        ("/v1/indicators/sales?division=141124", PUBLIC, 401, "authentication_required", None),
        ("/v1/indicators/gaps/hamlets", PUBLIC, 422, "validation_failed", "kind"),
        ("/v1/indicators/gaps/villages?cursor=!!", PUBLIC, 400, "invalid_cursor", "cursor"),
        # what the route's declarations refuse (FastAPI's validation)
        ("/v1/indicators/gaps/villages?limit=501", PUBLIC, 422, "validation_failed", "limit"),
        ("/v1/indicators/gaps/villages?limit=0", PUBLIC, 422, "validation_failed", "limit"),
        ("/v1/indicators/gaps/villages?limit=ten", PUBLIC, 422, "validation_failed", "limit"),
        (
            "/v1/indicators/network?division=1411240000001",
            PUBLIC,
            422,
            "validation_failed",
            "division",
        ),
        # no token
        ("/v1/indicators/network", {}, 401, "token_missing", None),
    ],
)
async def test_what_the_route_refuses_it_still_answers(
    stations: httpx.AsyncClient,
    stations_app: FastAPI,
    url: str,
    headers: Mapping[str, str],
    status: int,
    code: str,
    field: str | None,
) -> None:
    url = url.replace("FUTURE", _text(_month(1)))
    problem(await declined(stations, stations_app, HOT_ROUTES, url, headers), status, code, field)


async def test_problems_are_in_chinese_when_asked(
    stations: httpx.AsyncClient, stations_app: FastAPI
) -> None:
    url = "/v1/indicators/network?division=14x"
    body = problem(
        await declined(stations, stations_app, HOT_ROUTES, url, PUBLIC | {"Accept-Language": "zh"}),
        422,
        "invalid_division",
    )
    assert "区划" in body["detail"]


@pytest.mark.usefixtures("_network")
@pytest.mark.parametrize(
    "url",
    [
        # a parameter the route does not take, given twice, empty, or percent-encoded
        f"/v1/indicators/network?division={COUNTY}&verbose=1",
        f"/v1/indicators/network?division=14&division={COUNTY}",
        "/v1/indicators/network?division=",
        "/v1/indicators/network?division",
        "/v1/indicators/network?division=%31%34",
        f"/v1/indicators/gaps/villages?division={COUNTY}&limit=5&",
        # another path under the prefix
        "/v1/indicators/network/",
        "/v1/indicators/gaps/villages/more",
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    stations: httpx.AsyncClient, stations_app: FastAPI, url: str
) -> None:
    await declined(stations, stations_app, HOT_ROUTES, url, PLATFORM)


@pytest.mark.usefixtures("_network")
async def test_hot_indicators_are_measured_under_the_routes_templates(
    stations: httpx.AsyncClient, stations_app: FastAPI
) -> None:
    for url in ("/v1/indicators/gaps/townships", "/v1/indicators/sales"):
        await hot_and_routed(stations, stations_app, HOT_ROUTES, url, PLATFORM)
    metrics = (await stations.get("/metrics")).text
    assert 'route="/v1/indicators/gaps/{kind}"' in metrics
    assert 'route="/v1/indicators/sales"' in metrics
