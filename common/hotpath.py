"""Hot reads answered before FastAPI's routing and dependency resolution (ADR 0051, 0052).

On the benchmark VM FastAPI spends ~0.3 ms of CPU on a station GET before and around the
route's own work: it walks the included routers twice to find the route (~4 µs a route
passed), then resolves six dependencies one by one (each validated, cached, checked for
being a generator). The bare Starlette + asyncpg endpoint the route is measured against
spends 0.27 ms on the whole request. So the few hottest GETs have a second, direct way in:
a :class:`HotRoute` names the route it stands for and a handler that answers **only the
plain case** of it — with the route's own functions (the same token check, parameter
parsing, read, view and response; most handlers call the route's endpoint function itself)
— and raises :class:`NotHot` for anything else. Everything that is not plain (a query
parameter the route does not take, or one given twice, percent-encoded or empty; a value
the route's own declaration refuses; a conditional or GeoJSON request, a NUL anywhere, no
or a bad token, an unknown station, a database error …) goes on to the route itself,
which answers it exactly as it always has, with its problem details. A plain request's
answer is the route's, byte for byte (tests/stations/test_hot_reads.py and
tests/logistics/test_hot_reads.py compare them).

The query parameters a hot route takes are read from the route's own functions
(:func:`route_query`): each parameter declared ``Annotated[…, Query(…)]`` by the endpoint or
by a dependency it uses, under its name in the query string, validated by that very
declaration (type, ``max_length``, ``ge``/``le`` …) as FastAPI validates it. A handler
calls those functions back with what the request carried (:meth:`Plain.arguments`), so
their defaults and their own checks apply as on the route.

The route stays the one declared to FastAPI: the OpenAPI document is unchanged, and a
request the hot handler declines costs the route what it cost before, plus the few
microseconds of declining.

The layer sits inside every other one (request context and access log, body limit,
``HEAD``, gzip), so a hot answer is logged, measured, gzipped and given its request id as
the route's is; the request's ``ruralnet.route`` label is the route's template.
"""

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import params
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from common.auth import Principal, VerifiedInternalTokens
from common.metrics import ROUTE_LABEL


class NotHot(Exception):
    """This request is not the plain case: the route answers it."""


@cache
def _query_parameters(function: Callable[..., Any]) -> tuple[tuple[str, str, Any], ...]:
    """``function``'s parameters declared ``Annotated[…, Query(…)]``: (parameter name, name
    in the query string, the declared type)."""
    hints = get_type_hints(function, include_extras=True)
    found = []
    for name in inspect.signature(function).parameters:
        declared = hints.get(name)
        if get_origin(declared) is not Annotated:
            continue
        query = next((m for m in get_args(declared)[1:] if isinstance(m, params.Query)), None)
        if query is not None:
            found.append((name, query.alias or name, declared))
    return tuple(found)


def route_query(*functions: Callable[..., Any]) -> dict[str, TypeAdapter[Any]]:
    """The query parameters a hot route takes: those ``functions`` (the route's endpoint and
    the dependencies of it that read the query) declare, by their name in the query string,
    each with a validator made from its own declaration — the type and constraints FastAPI
    validates it by."""
    adapters: dict[str, TypeAdapter[Any]] = {}
    for function in functions:
        for _, alias, declared in _query_parameters(function):
            if alias in adapters:
                raise ValueError(f"query parameter {alias!r} declared twice")
            adapters[alias] = TypeAdapter(declared)
    return adapters


@dataclass(frozen=True)
class Plain:
    """What a plain request carries, read from the raw scope: the path's named groups, the
    query parameters given (by their name in the query string, validated as the route
    declares them), the principal."""

    params: dict[str, str]
    query: Mapping[str, Any]
    principal: Principal
    request: Request

    def arguments(self, function: Callable[..., Any]) -> dict[str, Any]:
        """The query arguments of ``function`` (one of the route's own) that this request
        gives, by parameter name: call it with them and its defaults fill in the rest."""
        return {
            name: self.query[alias]
            for name, alias, _ in _query_parameters(function)
            if alias in self.query
        }


HotHandler = Callable[[Plain], Awaitable[Response]]


@dataclass(frozen=True)
class HotRoute:
    """``template``: the route's path as FastAPI has it (the metrics label);
    ``path``: its pattern with named groups (matched in full against the path); ``query``:
    the query parameters the handler reads (:func:`route_query`), none by default."""

    template: str
    path: re.Pattern[str]
    handler: HotHandler
    query: Mapping[str, TypeAdapter[Any]] = field(default_factory=dict)


def answer(model: BaseModel) -> Response:
    """What FastAPI answers for an endpoint that returns ``model`` as its response model:
    the model by alias, written to JSON in one pass, 200."""
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")


# Headers that make a request other than plain for every hot route: a conditional request,
# one asking for another representation (GeoJSON), a body.
_NOT_PLAIN_HEADERS = frozenset({b"if-none-match", b"if-modified-since", b"content-length"})
_AUTHORIZATION = b"authorization"
_ACCEPT = b"accept"
_GEOJSON = b"geo+json"


def _plain_query(raw: bytes, accepted: Mapping[str, TypeAdapter[Any]]) -> dict[str, Any]:
    """The parameters of a query that names only parameters the route takes, each once and
    with a value, none needing decoding (``%``, ``+``, not ASCII), each valid by the route's
    own declaration; ``NotHot`` for any other query."""
    if not raw:
        return {}
    if b"%" in raw or b"+" in raw or b"\x00" in raw or not raw.isascii():
        raise NotHot
    values: dict[str, Any] = {}
    for pair in raw.decode("ascii").split("&"):
        name, _, value = pair.partition("=")
        adapter = accepted.get(name)
        if adapter is None or not value or name in values:
            raise NotHot
        values[name] = adapter.validate_python(value)  # a ValidationError: the route's 422
    return values


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


# Who a plain request's bearer token names, as the app's routes would have it: a service's
# internal token by default; the gateway's access token (its principal, a machine's scopes
# left on ``request.state`` as its routes leave them).
HotAuthenticate = Callable[[Request, str], Principal]


class HotPathMiddleware:
    """Answers the plain case of each :class:`HotRoute` (``GET``, and ``HEAD`` turned into
    ``GET`` by the layer outside); passes everything else on to the app. ``authenticate``:
    how the bearer token is checked, ``tokens`` (an internal token) unless given."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[HotRoute],
        tokens: VerifiedInternalTokens | None = None,
        authenticate: HotAuthenticate | None = None,
    ) -> None:
        self.app = app
        self.routes = tuple(routes)
        if authenticate is None:
            if tokens is None:
                raise ValueError("a hot path needs tokens or authenticate")
            verify = tokens

            def by_internal_token(_request: Request, token: str) -> Principal:
                return verify(token)

            authenticate = by_internal_token
        self.authenticate = authenticate

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
            token = _token(scope["headers"])
            request = Request(scope, receive)
            principal = self.authenticate(request, token)
            request.state.principal = principal  # as ``require_principal`` leaves it
            return await route.handler(Plain(match.groupdict(), query, principal, request))
        except Exception:
            # NotHot, or whatever the route must answer itself (a refused token, a problem,
            # a database error): it does the work again and answers as it always has.
            return None
