"""Forwarding to the services: ``/{service}/…`` goes to that service with the prefix removed.

``GET /stations/v1/divisions/141124000000`` → stations ``GET /v1/divisions/141124000000``.

A pure ASGI layer in front of the gateway's own routes (ADR 0013): no FastAPI routing,
dependencies or response classes on the way. The caller's token is exchanged for a
short-lived internal token; the request id, the service's signed public base (for its links,
``common.links``) and ``X-Forwarded-For``/``-Proto`` are passed on; the path goes as it
arrived, percent-encoding and all; the body is streamed up (at most
``common.limits.BULK_BODY_LIMIT``; each service holds its routes to their own limit) and the
answer streamed back byte for byte, compressed or not as the service sent it.

Upstream goes through one pooled ``aiohttp`` session, without httpx on top: httpx's request
and response models, header copies and URL parsing were a tenth of the gateway's CPU per
forwarded request (``bench/README.md``, the profile of ``http_json``), and a proxy needs none
of what they add (no cookies, redirects or decoding).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from fastapi import FastAPI, Request
from multidict import CIMultiDict
from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.auth import SAFE_METHODS, InternalTokens, Role, sign_in_required
from common.errors import (
    BadGateway,
    GatewayTimeout,
    NotFound,
    Problem,
    ServiceUnavailable,
    content_too_large,
    render_problem,
)
from common.limits import BULK_BODY_LIMIT
from common.links import PUBLIC_BASE_HEADER, PUBLIC_BASE_SIGNATURE_HEADER, sign_public_base
from common.logging import get_logger
from common.metrics import ROUTE_LABEL
from common.middleware import REQUEST_ID_HEADER
from common.routes import route_shapes
from gateway.auth import PUBLIC
from gateway.identity.dependencies import bearer_token
from gateway.identity.scopes import require_scope
from gateway.settings import GatewaySettings

log = get_logger(__name__)

# Not passed on upward: RFC 9110 §7.6.1 connection-specific headers, the framing (the body is
# re-framed), the caller's token (exchanged), and what the gateway sets itself — a caller's
# forwarded headers or public base would otherwise be believed by the service.
_REQUEST_DROP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        b"authorization",
        b"accept-encoding",
        b"x-request-id",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-forwarded-prefix",
        b"forwarded",
        PUBLIC_BASE_HEADER.encode(),
        PUBLIC_BASE_SIGNATURE_HEADER.encode(),
    }
)
# Not passed back: connection-specific headers, and Date, Server and X-Request-ID, which the
# gateway's own server and middleware set (sent twice otherwise).
_RESPONSE_DROP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"upgrade",
        b"trailer",
        b"date",
        b"server",
        b"x-request-id",
    }
)
RETRY_AFTER = "5"
# Idle upstream connections are dropped before the services drop them (uvicorn closes a
# keep-alive connection after 5 s idle): at equal timeouts the gateway sometimes sends on a
# connection the service is closing, and the caller gets a 502 for a healthy service.
UPSTREAM_KEEPALIVE_EXPIRY = 3.0


# What a call to a service can fail with, on the way up or while its answer streams back.
UPSTREAM_ERRORS = (aiohttp.ClientError, TimeoutError)


def make_upstream_session(settings: GatewaySettings) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=settings.upstream_pool_size, keepalive_timeout=UPSTREAM_KEEPALIVE_EXPIRY
        ),
        timeout=upstream_timeout(settings),
        # A proxy keeps no cookies, decodes nothing and follows no redirect: the caller does.
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        trust_env=False,
    )


def upstream_timeout(settings: GatewaySettings) -> aiohttp.ClientTimeout:
    """Connecting, each read, and waiting for a pooled connection, each on its own clock."""
    return aiohttp.ClientTimeout(
        sock_connect=settings.upstream_connect_timeout,
        sock_read=settings.upstream_timeout,
        connect=settings.upstream_timeout,
    )


@asynccontextmanager
async def upstream_client(app: FastAPI) -> AsyncIterator[None]:
    async with make_upstream_session(app.state.settings) as session:
        app.state.upstream = session
        yield


def _upstream_problem(service: str, cause: BaseException) -> Problem:
    """What a failed call to a service means for the caller."""
    log.warning("service call failed", service=service, error=type(cause).__name__)
    if isinstance(cause, aiohttp.ClientConnectorError):
        return ServiceUnavailable(
            f"The {service} service cannot be reached; retry later",
            detail_zh=f"{service} 服务暂时无法访问,请稍后重试",
            code="service_unreachable",
            headers={"Retry-After": RETRY_AFTER},
            service=service,
        )
    if isinstance(cause, TimeoutError):
        return GatewayTimeout(
            f"The {service} service did not answer in time",
            detail_zh=f"{service} 服务响应超时",
            code="service_timeout",
            service=service,
        )
    return BadGateway(
        f"The {service} service broke the connection",
        detail_zh=f"{service} 服务连接异常",
        code="service_error",
        service=service,
    )


def _service_path(path: str) -> str:
    """``/stations/v1/stations`` → ``/v1/stations``: the path the service sees."""
    return "/" + path[1:].partition("/")[2]


class _BodyTooLarge(Exception):
    """The caller's body passed the gateway's limit while it was being forwarded."""


class _CallerBody:
    """The rest of the caller's body, chunk by chunk as the server receives it, counted."""

    def __init__(self, first: Message, receive: Receive, limit: int) -> None:
        self._first = first
        self._receive = receive
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        message = self._first
        counted = 0
        while True:
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            counted += len(chunk)
            if counted > self._limit:
                raise _BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return
            message = await self._receive()


class Passthrough:
    """``/{service}/…`` forwarded; the gateway's own paths (``/docs``, ``/healthz``, later
    ``/auth``…) to its routes; any other first segment is 404 ``unknown_service``."""

    def __init__(self, app: ASGIApp, *, settings: GatewaySettings) -> None:
        self.app = app
        self._own_segments: frozenset[str] | None = None
        self.urls = settings.service_urls()
        self.internal_secret = settings.internal_secret.get_secret_value()
        self.internal_tokens = InternalTokens(
            self.internal_secret, settings.internal_token_ttl_seconds
        )
        secret = self.internal_secret
        self.base_headers: dict[str, list[tuple[str, str]]] = {}
        self.route_labels: dict[str, str] = {}
        for service in self.urls:
            base = f"{settings.public_base}/{service}"
            self.base_headers[service] = [
                (PUBLIC_BASE_HEADER, base),
                (PUBLIC_BASE_SIGNATURE_HEADER, sign_public_base(base, secret)),
            ]
            self.route_labels[service] = f"/{service}/{{path}}"
        # The largest body any route of any service takes; each holds its routes to theirs.
        self.body_limit = BULK_BODY_LIMIT

    def own_segments(self, router: Router) -> frozenset[str]:
        """First path segments of the gateway's own routes (read once: they are all there
        by the first request)."""
        if self._own_segments is None:
            self._own_segments = frozenset(
                shape.path.split("/")[1] for shape in route_shapes(router)
            )
        return self._own_segments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        segment = scope["path"][1:].partition("/")[0]
        if segment in self.urls:
            scope[ROUTE_LABEL] = self.route_labels[segment]
            await self._forward(scope, receive, send)
        elif not segment or segment in self.own_segments(scope["app"].router):
            await self.app(scope, receive, send)
        else:
            await self._problem(
                scope,
                receive,
                send,
                NotFound(
                    f"No service {segment!r}; the gateway routes /{{service}}/… to one of: "
                    f"{', '.join(self.urls)}",
                    detail_zh=f"没有服务 {segment!r},可用:{', '.join(self.urls)}",
                    code="unknown_service",
                ),
            )

    async def _problem(self, scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
        await render_problem(Request(scope, receive), problem)(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = scope["path"][1:].partition("/")[0]
        try:
            authorization = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value.decode("latin-1")
                    break
            token = bearer_token(authorization)
            if token is None:
                principal = PUBLIC
            else:
                verified = scope["app"].state.access_tokens.verify(token)
                principal = verified.principal
                # A machine's token must hold a scope for what it asks (ADR 0062).
                require_scope(
                    verified.scopes, service, _service_path(scope["path"]), scope["method"]
                )
            if principal.role is Role.PUBLIC and scope["method"] not in SAFE_METHODS:
                # Refused before the body is read: a service would refuse it as well (ADR 0009).
                raise sign_in_required("change anything", "修改数据")
            internal = self.internal_tokens(principal)
            body = await self._body(scope, receive)
            url, headers = self._upstream_request(service, scope, internal, body)
        except Problem as problem:
            await self._problem(scope, receive, send, problem)
            return
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        session: aiohttp.ClientSession = scope["app"].state.upstream
        try:
            upstream = await session.request(
                scope["method"], url, headers=headers, data=body, allow_redirects=False
            )
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        except UPSTREAM_ERRORS as error:
            if _caused_by_too_large(error):
                await self._too_large(scope, receive, send)
            else:
                await self._problem(scope, receive, send, _upstream_problem(service, error))
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": upstream.status,
                    "headers": [
                        (name, value)
                        for name, value in upstream.raw_headers
                        if name.lower() not in _RESPONSE_DROP
                    ],
                }
            )
            async for chunk in upstream.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except UPSTREAM_ERRORS as error:
            # The status is sent: all the caller can learn is a body cut short.
            log.warning("service answer broken off", service=service, error=type(error).__name__)
        finally:
            # Back to the pool when the answer was read to its end, closed otherwise.
            upstream.release()
            await upstream.wait_for_close()

    def _upstream_request(
        self, service: str, scope: Scope, token: str, body: bytes | _CallerBody | None
    ) -> tuple[str, CIMultiDict[str]]:
        """The service's URL for the request, and the headers it is sent with."""
        headers: CIMultiDict[str] = CIMultiDict()
        accept_encoding = "identity"
        content_length: str | None = None
        for name, value in scope["headers"]:
            if name not in _REQUEST_DROP:
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
            elif name == b"accept-encoding":
                # Passed on as sent; when absent, the client library's own default (gzip)
                # would make the service compress for a caller that did not ask.
                accept_encoding = value.decode("latin-1")
            elif name == b"content-length":
                content_length = value.decode("latin-1")
        client = scope.get("client")
        headers["Authorization"] = "Bearer " + token
        headers[REQUEST_ID_HEADER] = scope["state"]["request_id"]
        headers["X-Forwarded-For"] = client[0] if client else ""
        headers["X-Forwarded-Proto"] = scope["scheme"]
        headers["Accept-Encoding"] = accept_encoding
        headers.extend(self.base_headers[service])
        if isinstance(body, _CallerBody) and content_length is not None:
            # Streamed on as it comes: with the caller's length when it gave one, chunked
            # otherwise (a body in one piece gets its length from the client library).
            headers["Content-Length"] = content_length
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        # The path exactly as the caller sent it (a %0D stays %0D for the service to judge),
        # less the first segment, whatever its spelling.
        rest = b"/" + raw_path.split(b"?", 1)[0][1:].partition(b"/")[2]
        url = self.urls[service] + rest.decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        return url, headers

    async def _body(self, scope: Scope, receive: Receive) -> bytes | _CallerBody | None:
        """The caller's body: None when there is none, the bytes when they came in one piece
        (a single write), a stream to pass on otherwise (a bulk upload)."""
        framed = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                framed = True
                # Refused before a byte is read or the service is called.
                if int(value) > self.body_limit:
                    raise _BodyTooLarge
            elif name == b"transfer-encoding":
                framed = True
        if not framed:
            return None
        first = await receive()
        if first["type"] != "http.request":
            return None
        chunk = first.get("body", b"")
        if len(chunk) > self.body_limit:
            raise _BodyTooLarge
        if not first.get("more_body", False):
            return chunk
        return _CallerBody(first, receive, self.body_limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await content_too_large(Request(scope, receive), self.body_limit)(scope, receive, send)


def _caused_by_too_large(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, _BodyTooLarge):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


READINESS_TIMEOUT = aiohttp.ClientTimeout(total=2.0)


async def check_services(request: Request) -> tuple[bool, dict[str, object]]:
    session: aiohttp.ClientSession = request.app.state.upstream

    async def check(base: str) -> str:
        try:
            async with session.get(f"{base}/readyz", timeout=READINESS_TIMEOUT) as response:
                return "ready" if response.status == 200 else "not ready"
        except UPSTREAM_ERRORS:
            return "unreachable"

    urls = request.app.state.settings.service_urls()
    states = await asyncio.gather(*(check(base) for base in urls.values()))
    results = dict(zip(urls, states, strict=True))
    return all(v == "ready" for v in results.values()), {"services": results}
