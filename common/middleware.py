"""Request context: a request id per request, bound to the logs and echoed in the response;
the public base its links are built on (``common.links``); one access-log line and the
request's metrics. And ``HEAD``/``OPTIONS`` for every route.

Pure ASGI (no ``BaseHTTPMiddleware``) so streaming bodies and context variables pass through,
and each layer costs a function call on the way in and one per message on the way out.
"""

import os
import re
import time

import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.errors import content_too_large
from common.limits import BODY_LIMIT, BULK_BODY_LIMIT, ContentTooLarge
from common.links import PUBLIC_BASE_HEADER, PUBLIC_BASE_SIGNATURE_HEADER, PublicBaseVerifier
from common.logging import AccessLog
from common.metrics import ROUTE_LABEL, Metrics, route_label
from common.routes import allow_header, allowed_methods

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it is plausible; anything else is replaced, never logged raw.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
_PUBLIC_BASE = PUBLIC_BASE_HEADER.encode()
_PUBLIC_BASE_SIGNATURE = PUBLIC_BASE_SIGNATURE_HEADER.encode()

access_log = AccessLog("ruralnet.access")


# A version-4 UUID's variant and version bits, as ``uuid.uuid4()`` sets them.
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (0x4000 << 64)


def new_request_id() -> str:
    """``uuid.uuid4().hex`` without building the UUID object (4.7 → ~1 µs)."""
    n = int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET
    return f"{n:032x}"


class RequestContextMiddleware:
    """``public_base`` is this component's own public URL ("" for a service); a service
    given a ``verifier`` takes the base the gateway forwards when its signature holds."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        public_base: str = "",
        verifier: PublicBaseVerifier | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.public_base = public_base
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = base = signature = ""
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                incoming = value.decode("latin-1")
            elif name == _PUBLIC_BASE:
                base = value.decode("latin-1")
            elif name == _PUBLIC_BASE_SIGNATURE:
                signature = value.decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["public_base"] = (
            base if base and self.verifier is not None and self.verifier(base, signature) else ""
        ) or self.public_base
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        method = scope["method"]
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe(method, route_label(scope), status, seconds)
            if scope["path"] not in _QUIET_PATHS:
                # The path only: query strings may carry personal data.
                access_log(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(seconds * 1000, 1),
                )
            structlog.contextvars.clear_contextvars()


class BodyLimitMiddleware:
    """Each route's body limit (``common.limits``): its ``max_body_size`` when it declares
    one (bulk routes), :data:`~common.limits.BODY_LIMIT` otherwise.

    A ``Content-Length`` above every route's limit is answered at once; one above this
    route's when the route first reads; a streamed body as soon as the count passes. The
    answer is 413 problem+json from the app's own handlers (``ContentTooLarge``), with the
    request id and in the caller's language.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: int | None = None
        framed = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                framed, length = True, int(value)
            elif name == b"transfer-encoding":
                framed = True
        if not framed:
            await self.app(scope, receive, send)
            return
        if length is not None and length > BULK_BODY_LIMIT:
            # Larger than any route takes: answered before routing (and before FastAPI's own
            # limit on a bulk route could answer in plain text).
            await content_too_large(Request(scope, receive), BULK_BODY_LIMIT)(scope, receive, send)
            return
        limit = 0
        counted = 0

        async def limited() -> Message:
            nonlocal limit, counted
            if not limit:
                # Routing is done by the time the route reads its body.
                limit = getattr(scope.get("route"), "max_body_size", None) or BODY_LIMIT
                if length is not None and length > limit:
                    raise ContentTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:
                    raise ContentTooLarge(limit)
            return message

        await self.app(scope, limited, send)


class HeadOptionsMiddleware:
    """``HEAD`` on every ``GET`` route and ``OPTIONS`` with the ``Allow`` of the path
    (RFC 9110 §9.3.2, §9.3.7), which FastAPI's routes do not answer by themselves.

    ``HEAD`` runs the ``GET`` and drops its body, keeping every header (``Content-Length``,
    ``ETag``) as the ``GET`` would send them. Other methods pass by untouched.
    """

    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if method == "HEAD":
            await self._head(scope, receive, send)
        elif method == "OPTIONS":
            await self._options(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = allowed_methods(self.router, scope["path"])
        if allowed is None or "GET" not in allowed[0]:
            await self.app(scope, receive, send)
            return
        scope["method"] = "GET"

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The server reads this scope's method to know that no body follows: a GET
                # there would wait for Content-Length bytes and drop the connection.
                scope["method"] = "HEAD"
            elif message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, headers_only)

    async def _options(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = allowed_methods(self.router, scope["path"])
        if allowed is None:
            await self.app(scope, receive, send)
            return
        methods, template = allowed
        scope[ROUTE_LABEL] = template
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(b"allow", allow_header(methods).encode())],
            }
        )
        await send({"type": "http.response.body", "body": b""})
