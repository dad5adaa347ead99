"""Calling another ruralnet component: httpx, pooled, explicit timeouts, and a fresh
internal token of role ``service`` on every request (a client lives for months, a token
for a minute)."""

from collections.abc import Iterator

import httpx

from common.auth import Principal, Role, mint_internal_token


class InternalTokenAuth(httpx.Auth):
    """``Authorization: Bearer <internal token>`` for ``service:<component>``."""

    def __init__(self, component: str, secret: str) -> None:
        self._principal = Principal(subject=f"service:{component}", role=Role.SERVICE)
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        token = mint_internal_token(self._principal, secret=self._secret, ttl_seconds=60)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def service_client(
    base_url: str,
    *,
    component: str,
    secret: str,
    connect_timeout: float,
    read_timeout: float,
    max_connections: int = 20,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=10),
        auth=InternalTokenAuth(component, secret),
        transport=transport,
    )
