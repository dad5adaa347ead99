"""Calling the services on behalf of the caller, for the registry's composite views.

Each call carries an internal token with the caller's own principal (so each service applies
its scope and masking rules as to a forwarded request), the request id and the caller's
``Accept-Language``; a machine's token must hold the scope the call needs (ADR 0062), as if it
had called the service itself. Every call has its own time budget. A call that fails —
refused, not found, down, slow — raises :class:`PartFailed` with the service's own problem
code, which a view reports in its ``errors`` or turns into its own answer.

A composite view's GETs go through one pooled ``aiohttp`` session without httpx on top, as
the proxy's do (ADR 0075): httpx's request and response models, URL merging and cookie
handling were a third of the gateway's CPU for a station's record. A write passed on whole
(``send``, a bulk upload) keeps its httpx client.
"""

import asyncio
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from fastapi import FastAPI
from httpx_aiohttp import AiohttpTransport
from yarl import URL

from common.auth import InternalTokens
from common.errors import PROBLEM_JSON, Forbidden, Problem
from common.logging import get_logger
from common.middleware import REQUEST_ID_HEADER
from common.service_client import service_client
from gateway.identity.scopes import require_scope
from gateway.registry.caller import Caller
from gateway.registry.schemas import PartError
from gateway.settings import GatewaySettings

log = get_logger(__name__)
# A call's query: a mapping, or pairs where a key repeats.
Params = Mapping[str, Any] | Sequence[tuple[str, Any]]
# Idle connections closed before the services close them (see gateway.proxy).
KEEPALIVE_EXPIRY = 3.0


class PartFailed(Exception):
    def __init__(self, error: PartError, problem: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{error.service}: {error.code}")
        self.error = error
        self.problem = problem  # the service's problem details, when it answered one

    def relayed(self) -> Problem:
        """The service's refusal of the caller's request as the caller's own problem (a
        filter it refused is the caller's 422, naming the field): the caller's language was
        passed on, so its words are already the right ones."""
        problem = self.problem or {}
        error = self.error
        relayed = Problem(
            error.detail,
            code=error.code,
            errors=problem.get("errors") if isinstance(problem.get("errors"), list) else None,
            headers={"WWW-Authenticate": "Bearer"} if error.status == 401 else None,
        )
        relayed.status = error.status
        relayed.title = relayed.title_zh = str(problem.get("title") or error.detail)
        return relayed


@dataclass
class Upstream:
    clients: Mapping[str, httpx.AsyncClient]  # for send
    session: aiohttp.ClientSession  # for get
    urls: Mapping[str, str]  # each service's base URL, without a trailing slash
    # One internal token per caller, signed once and reused for most of its lifetime (as
    # the proxy does, ADR 0050): a report document asks some ten calls of one principal.
    tokens: InternalTokens
    part_timeout: float
    fanout: int
    write_timeout: float  # a write passed on whole (a bulk upload): the forwarding budget

    async def get(
        self,
        caller: Caller,
        service: str,
        path: str,
        params: Params | None = None,
        *,
        part: str,
        scoped_as: str | None = None,
    ) -> Any:
        """The JSON a service answers to ``GET path``; :class:`PartFailed` otherwise.
        ``scoped_as``: the path whose scope a machine needs, when the call reads on behalf
        of that route (a record part read, ADR 0076) and is not named by a scope itself."""
        sent = self._headers(caller, service, scoped_as or path, "GET", part, None)
        url = URL(self.urls[service] + path)
        if params:
            url = url.with_query(_query(params))
        with _failures(part, service):
            async with asyncio.timeout(self.part_timeout):
                async with self.session.get(url, headers=sent) as response:
                    body = await response.read()
        if response.status >= 400:
            raise _answered_error(
                part, service, response.status, response.reason or "", response.content_type, body
            )
        return json.loads(body)

    def _headers(
        self,
        caller: Caller,
        service: str,
        path: str,
        method: str,
        part: str,
        headers: Mapping[str, str] | None,
    ) -> dict[str, str]:
        """What goes with a call: the caller's internal token, request id and language;
        :class:`PartFailed` (403) when a machine's token lacks the scope it needs."""
        refused = scope_refusal(caller, service, path, part, method)
        if refused is not None:
            raise PartFailed(refused)
        sent = {
            # Uncompressed, on every call (aiohttp's and httpx's default is gzip): the
            # services are next door, read here, never passed on as sent; a gzipped answer
            # cost the service its compression and the gateway its decompression (a tenth of
            # the stations service's CPU for a record; a report's figures are ~1.5 KB each).
            "Accept-Encoding": "identity",
            **(headers or {}),
            REQUEST_ID_HEADER: caller.request_id,
            "Authorization": f"Bearer {self.tokens(caller.principal)}",
        }
        if caller.language:
            sent["Accept-Language"] = caller.language
        return sent

    async def send(
        self,
        caller: Caller,
        method: str,
        service: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        part: str,
        content: AsyncIterable[bytes] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        budget: float | None = None,
    ) -> httpx.Response:
        """A service's answer (2xx or 3xx) to ``method path``, within ``budget`` seconds (the
        part budget unless given); :class:`PartFailed` otherwise."""
        sent = self._headers(caller, service, path, method, part, headers)
        client = self.clients[service]
        budget = budget or self.part_timeout
        with _failures(part, service):
            async with asyncio.timeout(budget):
                response = await client.request(
                    method,
                    path,
                    params=params,
                    content=content,
                    headers=sent,
                    auth=None,  # the caller's token above, not the client's own
                    timeout=budget,
                )
        if response.status_code >= 400:
            raise _answered_error(
                part,
                service,
                response.status_code,
                response.reason_phrase,
                response.headers.get("content-type", ""),
                response.content,
            )
        return response


def scope_refusal(
    caller: Caller, service: str, path: str, part: str, method: str = "GET"
) -> PartError | None:
    """Why a machine's token may not have ``part`` (``method path``, ADR 0062), or None."""
    try:
        require_scope(caller.scopes, service, path, method)
    except Forbidden as e:
        return PartError(part=part, service=service, status=403, code=e.code, detail=e.detail)
    return None


@contextmanager
def _failures(part: str, service: str) -> Iterator[None]:
    """A call that timed out or broke as :class:`PartFailed`."""
    try:
        yield
    except TimeoutError as e:
        raise PartFailed(_timeout(part, service)) from e
    except (httpx.TransportError, aiohttp.ClientError) as e:
        raise PartFailed(_transport_error(part, service, e)) from e


def _query(params: Params | None) -> list[tuple[str, str]]:
    """``params`` (a mapping or pairs) as httpx sends them: a list repeats its key, booleans
    are ``true`` / ``false``, ``None`` is empty."""
    pairs = params.items() if isinstance(params, Mapping) else params or ()
    return [
        (key, _primitive(item))
        for key, value in pairs
        for item in (value if isinstance(value, list | tuple) else [value])
    ]


def _primitive(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _transport_error(part: str, service: str, error: Exception) -> PartError:
    # httpx wraps aiohttp's error (its cause); the session's own calls raise it themselves.
    cause = (
        error.__cause__ if isinstance(error, httpx.TransportError) and error.__cause__ else error
    )
    log.warning("registry call failed", service=service, part=part, error=type(cause).__name__)
    if isinstance(cause, httpx.ConnectError | aiohttp.ClientConnectorError):
        return PartError(
            part=part,
            service=service,
            status=503,
            code="service_unreachable",
            detail=f"the {service} service cannot be reached",
        )
    if isinstance(cause, TimeoutError | httpx.TimeoutException):
        return _timeout(part, service)
    return PartError(
        part=part,
        service=service,
        status=502,
        code="service_error",
        detail=f"the {service} service broke the connection",
    )


def _timeout(part: str, service: str) -> PartError:
    log.warning("registry call timed out", service=service, part=part)
    return PartError(
        part=part,
        service=service,
        status=504,
        code="service_timeout",
        detail=f"the {service} service did not answer in time",
    )


def _answered_error(
    part: str, service: str, status: int, reason: str, content_type: str, body: bytes
) -> PartFailed:
    code, detail = f"http_{status}", reason
    problem = None
    if content_type.startswith(PROBLEM_JSON):
        try:
            problem = json.loads(body)
            code, detail = str(problem.get("code", code)), str(problem.get("detail", detail))
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            problem = None
    error = PartError(part=part, service=service, status=status, code=code, detail=detail)
    return PartFailed(error, problem)


@asynccontextmanager
async def registry_upstream(app: FastAPI) -> AsyncIterator[Upstream]:
    async with open_upstream(app.state.settings) as upstream:
        yield upstream


@asynccontextmanager
async def open_upstream(settings: GatewaySettings) -> AsyncIterator[Upstream]:
    """Pooled clients of every service, for the gateway's app or a worker's job."""
    secret = settings.internal_secret.get_secret_value()
    urls = {name: str(url).rstrip("/") for name, url in settings.service_urls().items()}
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=settings.upstream_pool_size * len(urls),
                    limit_per_host=settings.upstream_pool_size,
                    keepalive_timeout=KEEPALIVE_EXPIRY,
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=settings.upstream_connect_timeout
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        )
        clients = {}
        for service, url in settings.service_urls().items():
            limits = httpx.Limits(
                max_connections=settings.upstream_pool_size,
                max_keepalive_connections=settings.upstream_pool_size,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            )
            clients[service] = await stack.enter_async_context(
                service_client(
                    url,
                    component="gateway",
                    secret=secret,
                    connect_timeout=settings.upstream_connect_timeout,
                    read_timeout=settings.registry_part_timeout,
                    transport=AiohttpTransport(limits=limits, trust_env=False),
                )
            )
        yield Upstream(
            clients=clients,
            session=session,
            urls=urls,
            tokens=InternalTokens(secret, settings.internal_token_ttl_seconds),
            part_timeout=settings.registry_part_timeout,
            fanout=settings.registry_fanout,
            write_timeout=settings.upstream_timeout,
        )
