"""Calling the services on behalf of the caller, for the registry's composite views.

Each call carries an internal token with the caller's own principal (so each service applies
its scope and masking rules as to a forwarded request), the request id and the caller's
``Accept-Language``; a machine's token must hold the scope the call needs (ADR 0062), as if it
had called the service itself. Every call has its own time budget. A call that fails —
refused, not found, down, slow — raises :class:`PartFailed` with the service's own problem
code, which a view reports in its ``errors`` or turns into its own answer.
"""

import asyncio
import json
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from fastapi import FastAPI
from httpx_aiohttp import AiohttpTransport

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
    clients: Mapping[str, httpx.AsyncClient]
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
        params: Mapping[str, Any] | None = None,
        *,
        part: str,
    ) -> Any:
        """The JSON a service answers to ``GET path``; :class:`PartFailed` otherwise."""
        response = await self.send(caller, "GET", service, path, params, part=part)
        return response.json()

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
        try:
            require_scope(caller.scopes, service, path, method)
        except Forbidden as e:
            raise PartFailed(
                PartError(part=part, service=service, status=403, code=e.code, detail=e.detail)
            ) from e
        sent = {
            **(headers or {}),
            REQUEST_ID_HEADER: caller.request_id,
            "Authorization": f"Bearer {self.tokens(caller.principal)}",
        }
        if caller.language:
            sent["Accept-Language"] = caller.language
        client = self.clients[service]
        budget = budget or self.part_timeout
        try:
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
        except TimeoutError as e:
            raise PartFailed(_timeout(part, service)) from e
        except httpx.TransportError as e:
            raise PartFailed(_transport_error(part, service, e)) from e
        if response.status_code >= 400:
            raise _answered_error(part, service, response)
        return response


def _transport_error(part: str, service: str, error: Exception) -> PartError:
    cause = error.__cause__ or error
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


def _answered_error(part: str, service: str, response: httpx.Response) -> PartFailed:
    code, detail = f"http_{response.status_code}", response.reason_phrase
    problem = None
    if response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        try:
            problem = response.json()
            code, detail = str(problem.get("code", code)), str(problem.get("detail", detail))
        except (json.JSONDecodeError, AttributeError):
            problem = None
    error = PartError(
        part=part, service=service, status=response.status_code, code=code, detail=detail
    )
    return PartFailed(error, problem)


@asynccontextmanager
async def registry_upstream(app: FastAPI) -> AsyncIterator[Upstream]:
    async with open_upstream(app.state.settings) as upstream:
        yield upstream


@asynccontextmanager
async def open_upstream(settings: GatewaySettings) -> AsyncIterator[Upstream]:
    """Pooled clients of every service, for the gateway's app or a worker's job."""
    secret = settings.internal_secret.get_secret_value()
    async with AsyncExitStack() as stack:
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
            tokens=InternalTokens(secret, settings.internal_token_ttl_seconds),
            part_timeout=settings.registry_part_timeout,
            fanout=settings.registry_fanout,
            write_timeout=settings.upstream_timeout,
        )
