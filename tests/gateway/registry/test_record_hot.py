"""The record's hot path (``common.hotpath``): the plain case of
``GET /registry/v1/stations/{code}`` answered before FastAPI's routing, as the route answers
it; everything else passed on to the route.

The layer is driven by itself in front of a stand-in for the rest of the gateway, with the
gateway's own upstream clients and token check, so what it answers and what it passes on
are seen apart; its answer is compared with the served gateway's route (reached with a
header the hot path declines).
"""

from collections.abc import AsyncIterator, Mapping
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from starlette.types import Receive, Scope, Send

from common.auth import Role
from common.hotpath import HotPathMiddleware
from gateway.identity.tokens import AccessTokens, Revocations
from gateway.registry.context import Registry
from gateway.registry.records.cache import RecordCache
from gateway.registry.records.router import HOT_RECORD, hot_authenticate
from gateway.registry.upstream import open_upstream
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Front, user_headers
from tests.gateway.registry import scene
from tests.hotpath import TO_THE_ROUTE, Passed

OFFICIAL = {"role": Role.OFFICIAL, "division": scene.COUNTY}


@pytest.fixture
async def built(front: Front, db: asyncpg.Pool) -> scene.Scene:
    return await scene.build(db, front.services["logistics"], front.services["training"])


@pytest.fixture
async def hot(front: Front, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Passed]]:
    """The hot path alone, its answers and what it passed on."""
    settings = GatewaySettings(
        database_url=database_url,
        registry_part_timeout=30,
        **{f"{name}_url": url for name, url in front.services.items()},  # type: ignore[arg-type]
    )
    passed = Passed()
    async with open_upstream(settings) as upstream:
        app = SimpleNamespace(
            state=SimpleNamespace(
                registry=Registry(upstream=upstream, records=RecordCache(0, 0)),
                access_tokens=AccessTokens(settings.jwt_secret.get_secret_value(), Revocations()),
            )
        )
        layer = HotPathMiddleware(passed, routes=[HOT_RECORD], authenticate=hot_authenticate)

        async def with_app(scope: Scope, receive: Receive, send: Send) -> None:
            scope["app"] = app  # what Starlette sets, and the request context's state
            scope.setdefault("state", {})["request_id"] = "hot-test"
            await layer(scope, receive, send)

        transport = httpx.ASGITransport(app=with_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, passed


def _without_time(record: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in record.items() if k != "generated_at"}


@pytest.mark.parametrize("query", ["", "?period=2026-11"])
async def test_the_plain_record_is_answered_as_the_route_answers_it(
    client: httpx.AsyncClient,
    built: scene.Scene,
    hot: tuple[httpx.AsyncClient, Passed],
    query: str,
) -> None:
    layer, passed = hot
    url = f"/registry/v1/stations/{built.point}{query}"
    # A language no other test asks in: the served gateway keeps records per caller scope and
    # language for a while, and another test's record of this point is of another scene.
    headers = {**user_headers(**OFFICIAL), "Accept-Language": "zh-CN"}
    answered = await layer.get(url, headers=headers)
    assert passed.paths == []
    routed = await client.get(url, headers={**headers, **TO_THE_ROUTE})
    assert (answered.status_code, routed.status_code) == (200, 200), routed.text
    assert _without_time(answered.json()) == _without_time(routed.json())
    # (Vary: the served gateway's gzip and CORS layers add to the route's, as to a hot answer.)
    assert answered.headers["vary"] == "Authorization, Accept-Language"
    for name in ("etag", "cache-control", "content-type"):
        assert answered.headers[name] == routed.headers[name]
    assert _without_time(answered.json()) == _without_time(routed.json())
    assert answered.json()["partial"] is False


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/registry/v1/stations/{point}", {"If-None-Match": '"x"'}),  # a conditional GET
        ("/registry/v1/stations/{point}?period=2026&period=2025", {}),  # given twice
        ("/registry/v1/stations/{point}?limit=5", {}),  # not the route's
        ("/registry/v1/stations/{point}?period=2999", {}),  # the route's 422
        ("/registry/v1/stations/not-a-code", {}),  # the route's 422
        ("/registry/v1/stations/{point}", {"Authorization": "Bearer not-a-token"}),  # 401
        ("/registry/v1/stations/{point}", {"Authorization": ""}),  # the public: the route's 401
    ],
)
async def test_anything_else_goes_to_the_route(
    built: scene.Scene,
    hot: tuple[httpx.AsyncClient, Passed],
    path: str,
    headers: dict[str, str],
) -> None:
    layer, passed = hot
    url = path.format(point=built.point)
    r = await layer.get(url, headers={**user_headers(**OFFICIAL), **headers})
    assert r.status_code == 299
    assert passed.paths == [url.split("?")[0]]
