"""Calling another ruralnet component: httpx, pooled, explicit timeouts, and a fresh
internal token on every request (a client lives for months, a token for a minute).

A component calls as itself (role ``service``); the gateway's composite views call on behalf
of the person or machine that asked (``InternalTokenAuth(caller, secret)`` as a request's
``auth``), so each service applies its own scope and masking rules to them exactly as to a
forwarded request."""

from collections.abc import Iterator

import httpx

from common.auth import Principal, Role, mint_internal_token


class InternalTokenAuth(httpx.Auth):
    """``Authorization: Bearer <internal token>`` for ``principal``: a component itself
    (``service:<component>``, see ``as_component``) or the caller it acts for."""

    def __init__(self, principal: Principal, secret: str) -> None:
        self._principal = principal
        self._secret = secret

    @classmethod
    def as_component(cls, component: str, secret: str) -> "InternalTokenAuth":
        return cls(Principal(subject=f"service:{component}", role=Role.SERVICE), secret)

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
        auth=InternalTokenAuth.as_component(component, secret),
        transport=transport,
    )
