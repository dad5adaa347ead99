"""A real gateway in front of every real service, all under uvicorn on loopback ports.

The services are the ones ``ruralnet run`` starts; the gateway's public URL is configured as
``PUBLIC_URL`` (not the address it listens on), so a link built from the request instead of
the configuration shows at once.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from common.auth import Principal, Role
from gateway.app import create as create_gateway
from gateway.auth import mint_user_token
from gateway.openapi import service_factory
from gateway.settings import GatewaySettings
from ruralnet.runner import COMPONENTS
from tests.support import JWT_SECRET, serve

PUBLIC_URL = "https://ruralnet.example.gov.cn"
WEB_ORIGIN = "https://ec.example.gov.cn"
SERVICES = [c.name for c in COMPONENTS if c.name != "gateway"]
# The merged document is built at its first request, every service's app imported and asked
# for its own: seconds on a loaded machine, never within an HTTP client's default 5 s.
DOCUMENT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Front:
    gateway: str
    services: dict[str, str]

    @property
    def stations(self) -> str:
        return self.services["stations"]


@pytest.fixture(scope="package")
def front(database_url: str) -> Iterator[Front]:
    with ExitStack() as stack:
        services = {}
        for name in SERVICES:
            create, settings_class = service_factory(name)
            app = create(settings_class(database_url=database_url))  # type: ignore[call-arg]
            services[name] = stack.enter_context(serve(app))
        settings = GatewaySettings(
            database_url=database_url,
            public_url=PUBLIC_URL,  # type: ignore[arg-type]
            cors_origins=[WEB_ORIGIN],
            # A composite view waits for a busy machine's services rather than answering
            # partial: the tests of partial answers use a gateway of their own.
            registry_part_timeout=30,
            **{f"{name}_url": url for name, url in services.items()},  # type: ignore[arg-type]
        )
        yield Front(gateway=stack.enter_context(serve(create_gateway(settings))), services=services)


def fetch_document(gateway: str) -> dict[str, Any]:
    r = httpx.get(f"{gateway}/openapi.json", timeout=DOCUMENT_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="package")
def document(front: Front) -> dict[str, Any]:
    """The gateway's merged OpenAPI document, fetched once for the package."""
    return fetch_document(front.gateway)


def user_headers(role: Role = Role.ADMIN, **scope: str) -> dict[str, str]:
    """A user token for the gateway, minted when the test runs."""
    principal = Principal(subject=f"{role}:gateway-test", role=role, **scope)
    return {"Authorization": f"Bearer {mint_user_token(principal, secret=JWT_SECRET)}"}


@pytest.fixture
async def client(front: Front) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=front.gateway, timeout=60) as client:
        yield client


def local(url: str) -> str:
    """A public link's path and query, to follow it on the gateway under test."""
    assert url.startswith(PUBLIC_URL + "/"), url
    return url[len(PUBLIC_URL) :]
