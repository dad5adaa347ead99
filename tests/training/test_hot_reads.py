"""The hot read of training's indicators (``common.hotpath``, ADR 0052, 0098): the plain case
of ``GET /v1/indicators/training``, answered before FastAPI's routing, is the route's answer
byte for byte (status, headers, body) for a township, a county, a province and the nation,
for any period and caller; every other request — bad parameters above all — is passed on to
the route, which answers it with the problem details it always gave.

How the two answers are had and compared: ``tests.hotpath``.
"""

from collections.abc import Mapping

import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.training.indicators.router import HOT_ROUTES
from tests.hotpath import declined, declined_in_chinese, hot_and_routed
from tests.support import internal_headers
from tests.training.helpers import (
    COUNTY,
    TODAY,
    VILLAGE,
    YEJI_VILLAGE,
    admin,
    days_ago,
    make_session,
    official,
    person,
    problem,
    resident_id,
)

PUBLIC = internal_headers(Role.PUBLIC, subject="anonymous")
ROLES = {"public": PUBLIC, "official": official(COUNTY), "admin": admin()}
TRAINING = "/v1/indicators/training"
PERIOD = f"from={days_ago(10)}&to={TODAY}"


@pytest.fixture
async def _trained(training: httpx.AsyncClient) -> None:
    """Residents of 临县 (Shanxi) and of 叶集 (Anhui), poor households among them, at a
    two-day basic session held and a half-day senior one, so that every figure — person-days
    in halves, rates, subsidies due — has something to count."""
    basic = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(2), duration_kind="several_days"
    )
    senior = await make_session(training, level="senior", duration_kind="half_day")
    people = [
        person(resident_id(seq=f"{400 + n}"), residence_code=village, categories=categories)
        for n, (village, categories) in enumerate(
            [
                (VILLAGE, ["poor_household"]),
                (VILLAGE, []),
                ("141124100202", ["rural_youth", "veteran"]),
                (YEJI_VILLAGE, ["poor_household"]),
            ]
        )
    ]
    rows: list[dict[str, object]] = [
        {"session_id": basic["id"], "day": days_ago(3), **p} for p in people
    ]
    rows.append({"session_id": basic["id"], "day": days_ago(2), "part": "am", **people[0]})
    rows.append({"session_id": senior["id"], "day": senior["starts_on"], **people[2]})
    r = await training.post("/v1/attendance/bulk", json=rows, headers=admin())
    assert r.json()["counts"]["rejected"] == 0, r.text
    r = await training.post(
        f"/v1/sessions/{basic['id']}/status", json={"status": "held"}, headers=admin()
    )
    assert r.status_code == 200, r.text


@pytest.mark.usefixtures("_trained")
@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(
    "query",
    [
        f"?division={COUNTY}&{PERIOD}",
        f"?{PERIOD}&division=14",
        f"?{PERIOD}",
        f"?division=141124100&{PERIOD}",  # a township: counted from attendance itself
        f"?division=141124100000&to={TODAY}&from={days_ago(2)}",
        f"?division={COUNTY}&from={days_ago(400)}&to={days_ago(200)}",  # nobody trained
    ],
)
async def test_indicators_answer_what_the_route_does(
    training: httpx.AsyncClient, training_app: FastAPI, role: str, query: str
) -> None:
    hot = await hot_and_routed(training, training_app, HOT_ROUTES, TRAINING + query, ROLES[role])
    assert hot.json()["period_to"] in (str(TODAY), days_ago(200))


@pytest.mark.usefixtures("_trained")
async def test_the_figures_are_the_divisions(
    training: httpx.AsyncClient, training_app: FastAPI
) -> None:
    people_times = {}
    for division in ("", "&division=34", "&division=14", f"&division={COUNTY}"):
        url = f"{TRAINING}?{PERIOD}{division}"
        people_times[division] = (
            await hot_and_routed(training, training_app, HOT_ROUTES, url, PUBLIC)
        ).json()["people_times"]
    # (person, session) pairs: four at the basic session, one at the senior one
    assert people_times == {"": 5, "&division=34": 1, "&division=14": 4, f"&division={COUNTY}": 4}


@pytest.mark.parametrize(
    ("url", "headers", "status", "code", "field"),
    [
        # what the route's own functions refuse
        (f"{TRAINING}?division=14112&{PERIOD}", PUBLIC, 422, "invalid_division_code", "division"),
        (f"{TRAINING}?division=149999&{PERIOD}", PUBLIC, 422, "unknown_division", "division"),
        (
            f"{TRAINING}?division={VILLAGE}&{PERIOD}",
            PUBLIC,
            422,
            "wrong_division_level",
            "division",
        ),
        (f"{TRAINING}?from={TODAY}&to={days_ago(1)}", PUBLIC, 422, "ends_before_start", "to"),
        # what the route's declarations refuse (FastAPI's validation)
        (f"{TRAINING}?to={TODAY}", PUBLIC, 422, "validation_failed", "from"),
        (f"{TRAINING}?from={TODAY}&division=14", PUBLIC, 422, "validation_failed", "to"),
        (f"{TRAINING}?from=2026-13-01&to={TODAY}", PUBLIC, 422, "validation_failed", "from"),
        (f"{TRAINING}?from={TODAY}&to=today", admin(), 422, "validation_failed", "to"),
        (
            f"{TRAINING}?division=1411241000001&{PERIOD}",
            PUBLIC,
            422,
            "validation_failed",
            "division",
        ),
        # no token, a forged one
        (f"{TRAINING}?{PERIOD}", {}, 401, "token_missing", None),
        (f"{TRAINING}?{PERIOD}", {"Authorization": "Bearer forged"}, 401, "token_invalid", None),
    ],
)
async def test_what_the_route_refuses_it_still_answers(
    training: httpx.AsyncClient,
    training_app: FastAPI,
    url: str,
    headers: Mapping[str, str],
    status: int,
    code: str,
    field: str | None,
) -> None:
    got = await declined(training, training_app, HOT_ROUTES, url, headers)
    problem(got, status, code, field)


async def test_problems_are_in_chinese_when_asked(
    training: httpx.AsyncClient, training_app: FastAPI
) -> None:
    for url in (f"{TRAINING}?division=14112&{PERIOD}", f"{TRAINING}?to={TODAY}"):
        got = await declined_in_chinese(training, training_app, HOT_ROUTES, url, PUBLIC)
        assert got.status_code == 422


@pytest.mark.usefixtures("_trained")
@pytest.mark.parametrize(
    ("url", "status"),
    [
        # a parameter the route does not take, given twice, empty, or percent-encoded
        (f"{TRAINING}?division={COUNTY}&{PERIOD}&by=month", 200),
        (f"{TRAINING}?division=14&division={COUNTY}&{PERIOD}", 200),
        (f"{TRAINING}?{PERIOD}&from={days_ago(5)}", 200),
        (f"{TRAINING}?division=&{PERIOD}", 422),
        (f"{TRAINING}?division=14%31124&{PERIOD}", 200),
        # the gap list and the villages have no hot path
        (f"{TRAINING}/gaps?division={COUNTY}&{PERIOD}", 200),
        (f"{TRAINING}/villages?codes={VILLAGE}&{PERIOD}", 200),
    ],
)
async def test_what_is_not_plain_goes_to_the_route(
    training: httpx.AsyncClient, training_app: FastAPI, url: str, status: int
) -> None:
    got = await declined(training, training_app, HOT_ROUTES, url, PUBLIC)
    assert got.status_code == status, got.text


@pytest.mark.usefixtures("_trained")
async def test_the_hot_read_is_measured_under_the_routes_template(
    training: httpx.AsyncClient, training_app: FastAPI
) -> None:
    await hot_and_routed(training, training_app, HOT_ROUTES, f"{TRAINING}?{PERIOD}", PUBLIC)
    assert f'route="{TRAINING}"' in (await training.get("/metrics")).text
