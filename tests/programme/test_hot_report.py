"""The hot read of what a report document reads of programme (``/v1/indicators/report``,
``common.hotpath``, ADR 0100): a plain request gives the route's answer byte for byte, for a
county with targets, a prefecture, a province and the nation, a year and a month, each as an
admin, an official and a platform; every request that is refused, malformed or not plain goes
to the route, which answers it with its problem details, in Chinese when asked."""

import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.programme.progress.router import HOT_REPORT
from tests.hotpath import declined, declined_in_chinese, hot_and_routed
from tests.programme.helpers import (
    ADMIN,
    FANGSHAN_OFFICIAL,
    JINGHONG_OFFICIAL,
    PLATFORM,
    SHANXI_OFFICIAL,
    YUNNAN_OFFICIAL,
    ZH,
    report_figures,
)
from tests.support import internal_headers, problem

ROLES = {"admin": ADMIN, "official": None, "platform": PLATFORM}
# An official over each division asked for: of the county, or of its province.
OFFICIALS = {"141128": FANGSHAN_OFFICIAL, "14": SHANXI_OFFICIAL, "53": YUNNAN_OFFICIAL}


def _official(query: str) -> dict[str, str]:
    division = query.partition("division=")[2].partition("&")[0]
    return next(h for prefix, h in OFFICIALS.items() if division.startswith(prefix))


@pytest.fixture
async def figures(programme: httpx.AsyncClient) -> None:
    await report_figures(programme)


@pytest.mark.usefixtures("figures")
@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(
    "query",
    [
        "division=141128&period=2017",
        "period=2017-03&division=141128",  # the parameters in any order
        "division=141128000000&period=2017-Q1",
        "division=1411&period=2017",
        "division=14&period=2017-03",
        "division=532801&period=2017-03",  # the project's county: its payment
        "division=53&period=2017",
        "division=5328&period=2016",  # before the payment
    ],
)
async def test_a_plain_read_answers_what_the_route_does(
    programme: httpx.AsyncClient, programme_app: FastAPI, role: str, query: str
) -> None:
    url = f"/v1/indicators/report?{query}"
    headers = ROLES[role] or _official(query)
    hot = await hot_and_routed(programme, programme_app, [HOT_REPORT], url, headers)
    body = hot.json()
    if "141128" in query:
        assert body["targets"]["adoptions"][0]["target_set"]["code"] == "shanxi-2017"
    if "532801&period=2017-03" in query:
        assert body["progress"]["demonstration_counties"] == 1
        assert body["progress"]["disbursed_in_period"] == "30000.00"


@pytest.mark.usefixtures("figures")
async def test_the_nation_as_an_admin(programme: httpx.AsyncClient, programme_app: FastAPI) -> None:
    url = "/v1/indicators/report?period=2017"
    hot = await hot_and_routed(programme, programme_app, [HOT_REPORT], url, ADMIN)
    assert hot.json()["targets"] is None


@pytest.mark.parametrize(
    ("query", "headers", "status", "code"),
    [
        ("division=141128", ADMIN, 422, None),  # no period
        ("division=141128&period=2017-13", ADMIN, 422, "invalid_period"),
        ("division=141128&period=2099", ADMIN, 422, "period_not_finished"),
        ("division=141128&period=12345678901234567", ADMIN, 422, None),  # over 16
        ("division=14112&period=2017", ADMIN, 422, "invalid_division_code"),
        ("division=141128001&period=2017", ADMIN, 422, "below_county"),
        ("division=1411280000000&period=2017", ADMIN, 422, None),  # over 12
        ("division=141128&period=2017", JINGHONG_OFFICIAL, 403, "outside_scope"),
        ("period=2017", FANGSHAN_OFFICIAL, 403, "outside_scope"),  # the nation
        ("division=141128&period=2017", internal_headers(Role.PUBLIC, subject="a"), 401, None),
        ("division=141128&period=2017", {}, 401, None),
        ("division=141128&period=2017&x=1", ADMIN, 200, None),  # unknown parameter
        ("division=141128&division=1411&period=2017", ADMIN, 200, None),  # given twice
        ("division=&period=2017", ADMIN, None, None),
        ("division=%31%34&period=2017", ADMIN, 200, None),  # percent-encoded
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    programme: httpx.AsyncClient,
    programme_app: FastAPI,
    query: str,
    headers: dict[str, str],
    status: int | None,
    code: str | None,
) -> None:
    url = f"/v1/indicators/report?{query}"
    if code is None:
        routed = await declined(programme, programme_app, [HOT_REPORT], url, headers | ZH)
    else:  # our own check's problem, in Chinese
        routed = await declined_in_chinese(programme, programme_app, [HOT_REPORT], url, headers)
        problem(routed, status or 422, code)
    if status is not None:
        assert routed.status_code == status, routed.text
