"""What the tests of hot routes (``common.hotpath``, ADR 0051, 0052) share.

A hot route's answer is compared with the route's own, which the same app gives to the same
request carrying a header the route ignores and the hot path declines
(``If-Modified-Since``). The layer is also driven by itself, in front of a stand-in for the
rest of the app, to see which requests it answers and which it passes on.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from common.hotpath import HotPathMiddleware, HotRoute

TO_THE_ROUTE = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}


def answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body, but for the request id (new for each request; a problem
    names it in its body too)."""
    request_id = response.headers.get("x-request-id", "")
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    body = response.content
    if request_id:
        body = body.replace(request_id.encode(), b"<request id>")
    return response.status_code, headers, body


class Passed:
    """Stands for the rest of the app behind the layer: answers 299 to whatever it is
    passed, and keeps the paths and the query strings."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.queries: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        self.queries.append(scope["query_string"].decode())
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def layer(app: FastAPI, routes: Sequence[HotRoute], passed: Passed) -> Any:
    """The hot path of ``app`` (its token check, engine) in front of ``passed``."""
    hot = HotPathMiddleware(passed, routes=routes, tokens=app.state.internal_tokens)

    async def with_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app  # what Starlette sets before any layer runs
        scope.setdefault("state", {})
        await hot(scope, receive, send)

    return with_app


def layer_client(app: FastAPI, routes: Sequence[HotRoute], passed: Passed) -> httpx.AsyncClient:
    """A client of the hot path of ``app`` alone, in front of ``passed``."""
    transport = httpx.ASGITransport(app=layer(app, routes, passed))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def through_layer(
    app: FastAPI, routes: Sequence[HotRoute], url: str, headers: Mapping[str, str]
) -> tuple[httpx.Response, list[str]]:
    """``url`` sent to the layer alone: its answer, and the paths it passed on."""
    passed = Passed()
    async with layer_client(app, routes, passed) as client:
        return await client.get(url, headers=headers), passed.paths


async def hot_and_routed(
    client: httpx.AsyncClient,
    app: FastAPI,
    routes: Sequence[HotRoute],
    url: str,
    headers: Mapping[str, str],
) -> httpx.Response:
    """Assert that the hot path answers ``url`` itself, and that the app's answer is the
    route's byte for byte; return it."""
    alone, passed = await through_layer(app, routes, url, headers)
    assert passed == [], f"{url} was passed on to the route"
    assert alone.status_code == 200, alone.text
    hot = await client.get(url, headers=headers)
    routed = await client.get(url, headers={**headers, **TO_THE_ROUTE})
    assert answer(hot) == answer(routed)
    assert hot.headers["x-request-id"]
    return hot


async def declined(
    client: httpx.AsyncClient,
    app: FastAPI,
    routes: Sequence[HotRoute],
    url: str,
    headers: Mapping[str, str],
) -> httpx.Response:
    """Assert that the hot path passes ``url`` on, and that the app's answer is the route's
    byte for byte; return it."""
    alone, passed = await through_layer(app, routes, url, headers)
    assert alone.status_code == 299, alone.text
    assert passed == [httpx.URL(url).path]
    got = await client.get(url, headers=headers)
    routed = await client.get(url, headers={**headers, **TO_THE_ROUTE})
    assert answer(got) == answer(routed)
    return got


async def declined_in_chinese(
    client: httpx.AsyncClient,
    app: FastAPI,
    routes: Sequence[HotRoute],
    url: str,
    headers: Mapping[str, str],
) -> httpx.Response:
    """:func:`declined` asking for Chinese: the route's problem, its detail in Chinese."""
    got = await declined(client, app, routes, url, {**headers, "Accept-Language": "zh"})
    assert got.headers["content-type"] == "application/problem+json", got.text
    assert any("\u4e00" <= c <= "\u9fff" for c in got.json()["detail"]), got.text
    return got
