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
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from fastapi import FastAPI
from httpx_aiohttp import AiohttpTransport

from common.errors import PROBLEM_JSON, Forbidden
from common.logging import get_logger
from common.middleware import REQUEST_ID_HEADER
from common.service_client import InternalTokenAuth, service_client
from gateway.identity.scopes import require_scope
from gateway.registry.caller import Caller
from gateway.registry.schemas import PartError
from gateway.settings import GatewaySettings

log = get_logger(__name__)
# Idle connections closed before the services close them (see gateway.proxy).
KEEPALIVE_EXPIRY = 3.0


class PartFailed(Exception):
    def __init__(self, error: PartError) -> None:
        super().__init__(f"{error.service}: {error.code}")
        self.error = error


@dataclass
class Upstream:
    clients: Mapping[str, httpx.AsyncClient]
    secret: str
    part_timeout: float
    fanout: int

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
        try:
            require_scope(caller.scopes, service, path, "GET")
        except Forbidden as e:
            raise PartFailed(
                PartError(part=part, service=service, status=403, code=e.code, detail=e.detail)
            ) from e
        headers = {REQUEST_ID_HEADER: caller.request_id}
        if caller.language:
            headers["Accept-Language"] = caller.language
        client = self.clients[service]
        budget = self.part_timeout
        try:
            async with asyncio.timeout(budget):
                response = await client.get(
                    path,
                    params=params,
                    headers=headers,
                    auth=InternalTokenAuth(caller.principal, self.secret),
                    timeout=budget,
                )
        except TimeoutError as e:
            raise PartFailed(_timeout(part, service)) from e
        except httpx.TransportError as e:
            raise PartFailed(_transport_error(part, service, e)) from e
        if response.status_code >= 400:
            raise PartFailed(_answered_error(part, service, response))
        return response.json()


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


def _answered_error(part: str, service: str, response: httpx.Response) -> PartError:
    code, detail = f"http_{response.status_code}", response.reason_phrase
    if response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        try:
            body = response.json()
            code, detail = str(body.get("code", code)), str(body.get("detail", detail))
        except (json.JSONDecodeError, AttributeError):
            pass
    return PartError(
        part=part, service=service, status=response.status_code, code=code, detail=detail
    )


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
            secret=secret,
            part_timeout=settings.registry_part_timeout,
            fanout=settings.registry_fanout,
        )
