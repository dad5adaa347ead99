"""Forwarding to the services: ``/{service}/…`` goes to that service with the prefix removed.

``GET /stations/v1/divisions/141124000000`` → stations ``GET /v1/divisions/141124000000``.
One pooled httpx client with explicit timeouts; the caller's token is exchanged for a
short-lived internal token; the request id is passed on; responses are streamed back.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from httpx_aiohttp import AiohttpTransport
from starlette.background import BackgroundTask

from common.auth import SAFE_METHODS, Role, mint_internal_token, sign_in_required
from common.errors import BadGateway, GatewayTimeout, NotFound, Problem, ServiceUnavailable
from common.logging import get_logger
from common.middleware import REQUEST_ID_HEADER
from gateway.auth import authenticate, authorize_forward
from gateway.settings import GatewaySettings

log = get_logger(__name__)
router = APIRouter(tags=["proxy"])

# RFC 9110 §7.6.1 connection-specific headers, plus the ones we set ourselves.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "authorization",
        "x-request-id",
    }
)
RETRY_AFTER = "5"
# Idle upstream connections are dropped before the services drop them (uvicorn closes a
# keep-alive connection after 5 s idle): at equal timeouts the gateway sometimes sends on a
# connection the service is closing, and the caller gets a 502 for a healthy service.
UPSTREAM_KEEPALIVE_EXPIRY = 3.0


def make_upstream_client(settings: GatewaySettings) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=settings.upstream_pool_size,
        max_keepalive_connections=settings.upstream_pool_size,
        keepalive_expiry=UPSTREAM_KEEPALIVE_EXPIRY,
    )
    return httpx.AsyncClient(
        transport=AiohttpTransport(limits=limits, trust_env=False),
        timeout=httpx.Timeout(settings.upstream_timeout, connect=settings.upstream_connect_timeout),
        follow_redirects=False,
    )


@asynccontextmanager
async def upstream_client(app: FastAPI) -> AsyncIterator[None]:
    async with make_upstream_client(app.state.settings) as client:
        app.state.upstream = client
        yield


def _upstream_problem(service: str, error: httpx.TransportError) -> Problem:
    """What a failed call to a service means for the caller.

    The aiohttp transport reports most failures as httpx's ``ConnectTimeout`` whatever they
    were, so the aiohttp error it wraps (``__cause__``) decides where there is one.
    """
    cause = error.__cause__ or error
    log.warning("service call failed", service=service, error=type(cause).__name__)
    if isinstance(cause, httpx.ConnectError | aiohttp.ClientConnectorError):
        return ServiceUnavailable(
            f"The {service} service cannot be reached; retry later",
            detail_zh=f"{service} 服务暂时无法访问,请稍后重试",
            code="service_unreachable",
            headers={"Retry-After": RETRY_AFTER},
            service=service,
        )
    if isinstance(cause, httpx.TimeoutException | TimeoutError):
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


def _service_url(request: Request, service: str) -> str:
    urls = request.app.state.settings.service_urls()
    if service not in urls:
        raise NotFound(
            f"No service {service!r}; the gateway routes /{{service}}/… to one of: "
            f"{', '.join(urls)}",
            detail_zh=f"没有服务 {service!r}",
            code="unknown_service",
        )
    return urls[service]


async def forward(service: str, path: str, request: Request) -> StreamingResponse:
    base = _service_url(request, service)
    principal = authenticate(request)
    authorize_forward(request, service, f"/{path}")
    if principal.role is Role.PUBLIC and request.method not in SAFE_METHODS:
        # Refused before the body is read: a service would refuse it as well (ADR 0009).
        raise sign_in_required("change anything", "修改数据")
    settings: GatewaySettings = request.app.state.settings
    token = mint_internal_token(
        principal,
        secret=settings.internal_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
    )
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP]
    headers += [
        ("authorization", f"Bearer {token}"),
        (REQUEST_ID_HEADER, request.state.request_id),
        ("x-forwarded-for", request.client.host if request.client else ""),
        ("x-forwarded-proto", request.url.scheme),
    ]
    client: httpx.AsyncClient = request.app.state.upstream
    upstream_request = client.build_request(
        request.method,
        f"{base}/{path}",
        params=request.url.query,
        headers=headers,
        content=await request.body(),
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TransportError as e:
        raise _upstream_problem(service, e) from e
    response_headers = {
        k: v
        for k, v in upstream.headers.items()
        if k.lower() not in _HOP_BY_HOP or k.lower() == "content-length"
    }
    return StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        headers=response_headers,
        background=BackgroundTask(upstream.aclose),
    )


# One route per method: OpenAPI wants a distinct operation id for each (FastAPI derives a
# route's id from its first method only, so one route for all seven repeats it).
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
    router.add_api_route(
        "/{service}/{path:path}",
        forward,
        methods=[_method],
        summary="Forward to a service",
        description="`/stations/…`, `/logistics/…`, `/training/…` and `/programme/…` go to that "
        "service, with the caller's identity exchanged for an internal token.",
        responses={
            **ServiceUnavailable.openapi("the service cannot be reached"),
            **BadGateway.openapi("the service broke the connection"),
            **GatewayTimeout.openapi("the service did not answer in time"),
        },
    )


async def check_services(request: Request) -> tuple[bool, dict[str, object]]:
    client: httpx.AsyncClient = request.app.state.upstream

    async def check(base: str) -> str:
        try:
            response = await client.get(f"{base}/readyz", timeout=2.0)
        except httpx.HTTPError:
            return "unreachable"
        return "ready" if response.status_code == 200 else "not ready"

    urls = request.app.state.settings.service_urls()
    states = await asyncio.gather(*(check(base) for base in urls.values()))
    results = dict(zip(urls, states, strict=True))
    return all(v == "ready" for v in results.values()), {"services": results}
