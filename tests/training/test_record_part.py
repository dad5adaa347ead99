"""The training part of a village station's record (ADR 0076): the village's residents
trained in the interval as the villages count shows them to the caller, and its first
residents as the trainees list shows them, or why that list refuses the caller; the plain
case answered before FastAPI's routing gives the route's answer byte for byte."""

import httpx
import pytest
from fastapi import FastAPI

from common.auth import Role
from services.training.record.router import HOT_RECORD_PART, TRAINEES_SHOWN
from tests.hotpath import Passed, layer_client
from tests.support import internal_headers
from tests.training.helpers import (
    COUNTY,
    TODAY,
    VILLAGE,
    ZH,
    admin,
    days_ago,
    make_session,
    official,
    person,
    problem,
    resident_id,
)

TO_THE_ROUTE = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
ROLES = {
    "admin": admin(),
    "official here": official(COUNTY),
    "official elsewhere": official("141102"),
    "platform here": internal_headers(Role.PLATFORM, subject="p:14", division="14"),
    "public": internal_headers(Role.PUBLIC, subject="public"),
}
EMPTY_VILLAGE = "141124100203"


@pytest.fixture
async def trained(training: httpx.AsyncClient) -> str:
    """Residents of VILLAGE: one more than a record lists, one of them trained twice."""
    s = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(2), duration_kind="several_days"
    )
    people = [
        person(resident_id(seq=f"{300 + n}"), categories=["poor_household"] if n else [])
        for n in range(TRAINEES_SHOWN + 1)
    ]
    rows = [{"session_id": s["id"], "day": days_ago(3), **p} for p in people]
    rows.append({"session_id": s["id"], "day": days_ago(2), **people[0]})
    r = await training.post("/v1/attendance/bulk", json=rows, headers=admin())
    assert r.json()["counts"]["rejected"] == 0, r.text
    return f"{days_ago(10)}/{TODAY}"


def _answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("village", [VILLAGE, EMPTY_VILLAGE])
async def test_a_plain_read_answers_what_the_route_does(
    training: httpx.AsyncClient, trained: str, role: str, village: str
) -> None:
    url = f"/v1/record-parts/villages/{village}?interval={trained}"
    hot = await training.get(url, headers=ROLES[role])
    routed = await training.get(url, headers=ROLES[role] | TO_THE_ROUTE)
    assert hot.status_code == 200, hot.text
    assert _answer(hot) == _answer(routed)


async def test_each_piece_as_its_own_route_shows_it(
    training: httpx.AsyncClient, trained: str
) -> None:
    first, last = trained.split("/")
    url = f"/v1/record-parts/villages/{VILLAGE}?interval={trained}"
    for role in ROLES:
        part = (await training.get(url, headers=ROLES[role])).json()
        counted = await training.get(
            "/v1/indicators/training/villages",
            params={"codes": VILLAGE, "from": first, "to": last},
            headers=ROLES[role],
        )
        assert part["trained"] == counted.json()["villages"][0], role
        assert (part["period_from"], part["period_to"]) == (first, last)
        listed = await training.get(
            "/v1/trainees", params={"division": VILLAGE, "limit": TRAINEES_SHOWN},
            headers=ROLES[role],
        )  # fmt: skip
        if listed.status_code == 200:
            assert part["trainees"] == listed.json()["items"], role
            assert listed.json()["next"] is not None  # one more than a record lists
            assert part["more_trainees"] is True
            assert part["refused"] == {}
        else:
            own = listed.json()
            assert part["trainees"] is None
            assert part["refused"]["trainees"] == {
                "status": listed.status_code,
                "code": own["code"],
                "detail": own["detail"],
            }, role
    here = (await training.get(url, headers=ROLES["official here"])).json()
    assert (here["trained"]["persons"], here["trained"]["people_times"]) == (
        TRAINEES_SHOWN + 1,
        TRAINEES_SHOWN + 1,
    )
    assert [t["masked"] for t in here["trainees"]] == [False] * TRAINEES_SHOWN
    public = (await training.get(url, headers=ROLES["public"])).json()
    assert public["trained"]["by_category"] is None
    assert public["refused"]["trainees"]["code"] == "authentication_required"
    nobody = await training.get(
        f"/v1/record-parts/villages/{EMPTY_VILLAGE}?interval={trained}", headers=admin()
    )
    assert (nobody.json()["trained"], nobody.json()["trainees"]) == (None, [])
    zh = await training.get(url, headers=ROLES["official elsewhere"] | ZH)
    assert zh.json()["refused"]["trainees"]["code"] == "outside_scope"
    assert "管辖范围" in zh.json()["refused"]["trainees"]["detail"]


async def test_bad_input(training: httpx.AsyncClient) -> None:
    base = "/v1/record-parts/villages"
    interval = f"{days_ago(10)}/{TODAY}"
    problem(
        await training.get(f"{base}/141124100000?interval={interval}", headers=admin()),
        422,
        "wrong_division_level",
        "code",
    )
    problem(
        await training.get(f"{base}/14x?interval={interval}", headers=admin()),
        422,
        "invalid_division_code",
        "code",
    )
    for bad in ("2026-01-01", "2026-01-01/2026-13-01", "2026-1-1/2026-2-1", ""):
        body = problem(
            await training.get(f"{base}/{VILLAGE}", params={"interval": bad}, headers=admin() | ZH),
            422,
            "invalid_interval",
            "interval",
        )
        assert "起始日" in body["detail"]
    problem(
        await training.get(f"{base}/{VILLAGE}?interval={TODAY}/{days_ago(1)}", headers=admin()),
        422,
        "ends_before_start",
        "to",
    )
    problem(await training.get(f"{base}/{VILLAGE}", headers=admin()), 422, "validation_failed")


async def test_the_plain_case_is_answered_before_the_route(
    training: httpx.AsyncClient, training_app: FastAPI, trained: str
) -> None:
    route = Passed()
    url = f"/v1/record-parts/villages/{VILLAGE}"
    async with layer_client(training_app, [HOT_RECORD_PART], route) as client:
        plain = await client.get(f"{url}?interval={trained}", headers=admin())
        for query in (
            "",
            f"interval={trained}&x=1",
            "interval=2026-01-01%2F2026-02-01",
            "interval=x",
        ):
            assert (await client.get(f"{url}?{query}", headers=admin())).status_code == 299
    assert plain.status_code == 200, plain.text
    assert plain.json()["code"] == VILLAGE
    assert route.queries == [
        "",
        f"interval={trained}&x=1",
        "interval=2026-01-01%2F2026-02-01",
        "interval=x",
    ]
