"""Hot reads answered before FastAPI's routing and dependency resolution (ADR 0051).

On the benchmark VM FastAPI spends ~0.3 ms of CPU on a station GET before and around the
route's own work: it walks the included routers twice to find the route (~4 µs a route
passed), then resolves six dependencies one by one (each validated, cached, checked for
being a generator). The bare Starlette + asyncpg endpoint the route is measured against
spends 0.27 ms on the whole request. So the few hottest GETs have a second, direct way in:
a :class:`HotRoute` names the route it stands for and a handler that answers **only the
plain case** of it — with the route's own functions (the same token check, read, view and
response) — and raises :class:`NotHot` for anything else. Everything that is not plain
(another query parameter, a conditional or GeoJSON request, a NUL anywhere, no or a bad
token, an unknown station, a database error …) goes on to the route itself, which answers
it exactly as it always has, with its problem details. A plain request's answer is the
route's, byte for byte (tests/stations/test_hot_reads.py compares them).

The route stays the one declared to FastAPI: the OpenAPI document is unchanged, and a
request the hot handler declines costs the route what it cost before, plus the few
microseconds of declining.

The layer sits inside every other one (request context and access log, body limit,
``HEAD``, gzip), so a hot answer is logged, measured, gzipped and given its request id as
the route's is; the request's ``ruralnet.route`` label is the route's template.
"""

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from common.auth import Principal, VerifiedInternalTokens
from common.metrics import ROUTE_LABEL


class NotHot(Exception):
    """This request is not the plain case: the route answers it."""


@dataclass(frozen=True)
class Plain:
    """What a plain request carries, read from the raw scope: the path's named groups, the
    one query parameter a hot route may take (``None`` when absent), the principal."""

    params: dict[str, str]
    query: str | None
    principal: Principal
    request: Request


HotHandler = Callable[[Plain], Awaitable[Response]]


@dataclass(frozen=True)
class HotRoute:
    """``template``: the route's path as FastAPI has it (the metrics label);
    ``path``: its pattern with named groups (matched in full against the path); ``query``:
    the one query parameter the handler reads, if any."""

    template: str
    path: re.Pattern[str]
    handler: HotHandler
    query: str | None = None


# Headers that make a request other than plain for every hot route: a conditional request,
# one asking for another representation (GeoJSON), a body.
_NOT_PLAIN_HEADERS = frozenset({b"if-none-match", b"if-modified-since", b"content-length"})
_AUTHORIZATION = b"authorization"
_ACCEPT = b"accept"
_GEOJSON = b"geo+json"


def _plain_query(raw: bytes, name: str | None) -> str | None:
    """The value of the one parameter the route takes, from a query of only that parameter;
    ``NotHot`` for any other query (or one that would need decoding)."""
    if not raw:
        return None
    if name is None or b"&" in raw or b"%" in raw or b"+" in raw:
        raise NotHot
    key, equals, value = raw.decode("latin-1").partition("=")
    if key != name or not equals:
        raise NotHot
    return value


def _token(headers: list[tuple[bytes, bytes]]) -> str:
    authorization: bytes | None = None
    for name, value in headers:
        if b"\x00" in value or name in _NOT_PLAIN_HEADERS:
            raise NotHot
        if name == _AUTHORIZATION:
            if authorization is None:  # the first, as the route reads it
                authorization = value
        elif name == _ACCEPT and _GEOJSON in value:
            raise NotHot
    if authorization is None:
        raise NotHot
    scheme, token = get_authorization_scheme_param(authorization.decode("latin-1"))
    if scheme.lower() != "bearer" or not token:
        raise NotHot
    return token


class HotPathMiddleware:
    """Answers the plain case of each :class:`HotRoute` (``GET``, and ``HEAD`` turned into
    ``GET`` by the layer outside); passes everything else on to the app."""

    def __init__(
        self, app: ASGIApp, *, routes: Sequence[HotRoute], tokens: VerifiedInternalTokens
    ) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            path: str = scope["path"]
            for route in self.routes:
                match = route.path.fullmatch(path)
                if match is not None:
                    response = await self._answer(route, match, scope, receive)
                    if response is not None:
                        scope[ROUTE_LABEL] = route.template
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)

    async def _answer(
        self, route: HotRoute, match: re.Match[str], scope: Scope, receive: Receive
    ) -> Response | None:
        try:
            if "\x00" in scope["path"]:
                raise NotHot
            query = _plain_query(scope["query_string"], route.query)
            principal = self.tokens(_token(scope["headers"]))
            request = Request(scope, receive)
            request.state.principal = principal  # as ``require_principal`` leaves it
            return await route.handler(Plain(match.groupdict(), query, principal, request))
        except Exception:
            # NotHot, or whatever the route must answer itself (a refused token, a problem,
            # a database error): it does the work again and answers as it always has.
            return None
