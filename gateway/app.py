"""The gateway: authentication, routing to the services, and (in time) composite views,
dashboards and report delivery. Run: ``uvicorn gateway.app:create --factory``.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from common.app import create_app
from gateway.base import SCHEMA
from gateway.identity.context import identity_lifespan
from gateway.identity.router import routers as identity_routers
from gateway.proxy import check_services, upstream_client
from gateway.proxy import router as proxy_router
from gateway.settings import GatewaySettings


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with upstream_client(app), identity_lifespan(app):
        yield


def create(settings: GatewaySettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or GatewaySettings(),
        schema=SCHEMA,
        title="ruralnet gateway",
        description="The public entrance: `/stations/…`, `/logistics/…`, `/training/…` and "
        "`/programme/…` are forwarded to the services with the caller's identity.",
        # Identity's routes (``/auth/…``) first: the proxy's ``/{service}/…`` takes the rest.
        public_routers=[*identity_routers, proxy_router],
        readiness_checks=[check_services],
        extra_lifespan=_lifespan,
    )
