"""A station's whole record through the gateway: every part from its service, masked for
the caller as the service masks it; what a down or slow service leaves out; the ETag."""

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import asyncpg
import httpx
import pytest
from starlette.types import Receive, Scope, Send

from common.auth import Principal, Role
from gateway.app import create as create_gateway
from gateway.auth import mint_user_token
from gateway.registry.records.cache import etag_of
from gateway.registry.records.router import answer_and_etag
from gateway.registry.records.schemas import StationRecord
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Front, user_headers
from tests.gateway.registry import scene
from tests.support import JWT_SECRET, closed_port, problem, serve

OFFICIAL = {"role": Role.OFFICIAL, "division": scene.COUNTY}
ZH = {"Accept-Language": "zh"}


@pytest.fixture
async def built(front: Front, db: asyncpg.Pool) -> scene.Scene:
    return await scene.build(db, front.services["logistics"], front.services["training"])


async def test_the_whole_record_for_an_official(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    r = await client.get(f"/registry/v1/stations/{built.point}", headers=user_headers(**OFFICIAL))
    assert r.status_code == 200, r.text
    record = r.json()
    assert (record["partial"], record["errors"]) == (False, [])
    assert record["station"]["code"] == built.point
    assert record["reporting"]["state"] == "reported"
    assert record["reporting"]["latest"]["month"] == scene.LAST_MONTH.strftime("%Y-%m")
    assert [c["carrier"] for c in record["carriers"]["carriers"]] == ["zto"]
    training = record["training"]
    assert (training["persons"], training["people_times"]) == (2, 2)
    assert training["by_category"]["poor_household"] == {"people_times": 1, "persons": 1}
    assert [t["masked"] for t in record["trainees"]["items"]] == [False, False]
    assert record["funding"] == {
        "station_code": built.point,
        "county_code": "141102000000",
        "projects": [],
        "disbursements": [],
    }
    # A point that is not reporting shows it.
    bare = (await client.get(f"/registry/v1/stations/{built.bare_point}",
                             headers=user_headers(**OFFICIAL))).json()  # fmt: skip
    assert bare["reporting"]["state"] == "overdue"
    assert bare["carriers"]["carriers"] == []
    assert bare["training"]["persons"] == 0


async def test_the_public_sees_what_each_service_shows_it(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    r = await client.get(f"/registry/v1/stations/{built.point}")
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["partial"] is True
    refused = {(e["part"], e["service"], e["status"], e["code"]) for e in record["errors"]}
    assert refused == {
        ("carriers", "logistics", 401, "authentication_required"),
        ("funding", "programme", 401, "authentication_required"),
        ("reporting", "stations", 401, "authentication_required"),
        ("trainees", "training", 401, "authentication_required"),
    }
    assert record["station"]["code"] == built.point
    assert record["training"]["persons"] == 2
    assert record["training"]["by_category"] is None  # training keeps them to the village's readers
    # Another county's official: the trainees list is refused, the rest is there.
    other = await client.get(
        f"/registry/v1/stations/{built.point}",
        headers=user_headers(Role.OFFICIAL, division="141124"),
    )
    assert {(e["part"], e["code"]) for e in other.json()["errors"]} == {
        ("funding", "outside_scope"),
        ("reporting", "outside_scope"),
        ("trainees", "outside_scope"),
    }


async def test_etag_and_not_modified(client: httpx.AsyncClient, built: scene.Scene) -> None:
    url = f"/registry/v1/stations/{built.point}"
    first = await client.get(url, headers=user_headers(**OFFICIAL))
    tag = first.headers["etag"]
    again = await client.get(url, headers=user_headers(**OFFICIAL) | {"If-None-Match": tag})
    assert (again.status_code, again.headers["etag"], again.content) == (304, tag, b"")
    # Another scope has another tag: a cached answer is never shared across scopes.
    admin = await client.get(url, headers=user_headers(Role.ADMIN) | {"If-None-Match": tag})
    assert admin.status_code == 200
    assert admin.headers["etag"] != tag


async def test_bad_input(client: httpx.AsyncClient, built: scene.Scene) -> None:
    body = problem(
        await client.get("/registry/v1/stations/141102100201-01", headers=ZH),
        404,
        "station_not_found",
        "code",
    )
    assert "站点" in body["detail"]
    # A place that skips a level (county 44 under prefecture 00) is no division: no station
    # is there, plain or with a query the record's hot path passes on (found by fuzzing).
    for query in ("", "?x=1"):
        skips = await client.get(f"/registry/v1/stations/160044567567-91{query}")
        problem(skips, 404, "station_not_found", "code")
    problem(await client.get("/registry/v1/stations/1411021-01"), 422, "validation_failed", "code")
    url = f"/registry/v1/stations/{built.point}"
    problem(await client.get(url, params={"period": "2026-13"}), 422, "invalid_period", "period")
    future = problem(await client.get(url, params={"period": "2999"}, headers=ZH), 422,
                     "future_period", "period")  # fmt: skip
    assert "尚未开始" in future["detail"]


class _Hanging:
    """A service that accepts every request and never answers: it waits for the caller to
    give up and hang up."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = (await receive())["type"]
                await send({"type": f"{event}.complete"})
                if event == "lifespan.shutdown":
                    return
        while (await receive())["type"] != "http.disconnect":
            pass


@pytest.fixture(scope="module")
def degraded(front: Front, database_url: str) -> Iterator[str]:
    """A gateway whose logistics is down and whose training never answers."""
    with ExitStack() as stack:
        port = stack.enter_context(closed_port())
        hanging = stack.enter_context(serve(_Hanging()))  # type: ignore[arg-type]
        settings = GatewaySettings(
            database_url=database_url,
            # Training never answers, so any budget runs out for it; the services that do
            # answer get one a loaded machine keeps.
            registry_part_timeout=5,
            stations_url=front.services["stations"],  # type: ignore[arg-type]
            logistics_url=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            training_url=hanging,  # type: ignore[arg-type]
            programme_url=front.services["programme"],  # type: ignore[arg-type]
        )
        yield stack.enter_context(serve(create_gateway(settings)))


@pytest.fixture
async def degraded_client(degraded: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=degraded, timeout=60) as client:
        yield client


async def test_a_down_or_slow_service_leaves_its_part_out(
    degraded_client: httpx.AsyncClient, built: scene.Scene
) -> None:
    r = await degraded_client.get(
        f"/registry/v1/stations/{built.point}", headers=user_headers(**OFFICIAL)
    )
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["partial"] is True
    assert {(e["part"], e["service"], e["status"], e["code"]) for e in record["errors"]} == {
        ("carriers", "logistics", 503, "service_unreachable"),
        ("training", "training", 504, "service_timeout"),
        ("trainees", "training", 504, "service_timeout"),
    }
    assert (record["carriers"], record["training"], record["trainees"]) == (None, None, None)
    assert record["station"]["code"] == built.point
    assert record["reporting"]["state"] == "reported"
    # An incomplete record is not kept: each read asks again.
    again = await degraded_client.get(
        f"/registry/v1/stations/{built.point}", headers=user_headers(**OFFICIAL)
    )
    assert again.json()["generated_at"] != record["generated_at"]


def _platform(scopes: frozenset[str]) -> dict[str, str]:
    principal = Principal(subject="platform:lvliang", role=Role.PLATFORM, division="1411")
    return {
        "Authorization": f"Bearer {mint_user_token(principal, secret=JWT_SECRET, scopes=scopes)}"
    }


async def test_a_machine_gets_each_piece_its_scopes_grant(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    """One call per service, but a machine's scopes still decide piece by piece, as for the
    routes each piece stands for (ADR 0062, 0076)."""
    url = f"/registry/v1/stations/{built.point}"
    bare = (await client.get(url, headers=_platform(frozenset({"feeds:read"})))).json()
    assert bare["station"]["code"] == built.point
    assert {(e["part"], e["status"], e["code"]) for e in bare["errors"]} == {
        ("reporting", 403, "insufficient_scope"),
        ("training", 403, "insufficient_scope"),
        ("trainees", 403, "role_forbidden"),  # training's own answer: platforms list nobody
    }
    assert (bare["reporting"], bare["training"], bare["trainees"]) == (None, None, None)
    assert bare["carriers"]["carriers"][0]["carrier"] == "zto"
    reader = (await client.get(url, headers=_platform(frozenset({"reports:read"})))).json()
    assert {(e["part"], e["code"]) for e in reader["errors"]} == {("trainees", "role_forbidden")}
    assert reader["reporting"]["state"] == "reported"
    assert reader["training"]["by_category"]["poor_household"] == {"people_times": 1, "persons": 1}
    # Asked directly, a part read needs the scope of the pieces it holds.
    direct = await client.get(
        f"/training/v1/record-parts/villages/{scene.JIESHANG}",
        params={"interval": "2026-01-01/2026-01-31"},
        headers=_platform(frozenset({"feeds:read"})),
    )
    problem(direct, 403, "insufficient_scope")


async def test_the_answer_is_the_records_own_json(
    client: httpx.AsyncClient, built: scene.Scene
) -> None:
    """The body and its ETag come from one serialisation (``answer_and_etag``): the same
    bytes as the record's JSON, and the tag of that JSON without ``generated_at``."""
    r = await client.get(f"/registry/v1/stations/{built.point}", headers=user_headers(**OFFICIAL))
    record = StationRecord.model_validate_json(r.content)
    assert r.content == record.model_dump_json().encode()
    body, tag = answer_and_etag(record, "any|scope")
    assert body == r.content
    assert tag == etag_of("any|scope", record.model_dump_json(exclude={"generated_at"}).encode())
