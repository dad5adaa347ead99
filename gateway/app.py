"""The gateway: authentication, routing to the services, and (in time) composite views,
dashboards and report delivery. Run: ``uvicorn gateway.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from gateway.base import SCHEMA
from gateway.proxy import check_services, upstream_client
from gateway.proxy import router as proxy_router
from gateway.settings import GatewaySettings


def create(settings: GatewaySettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or GatewaySettings(),
        schema=SCHEMA,
        title="ruralnet gateway",
        description="The public entrance: `/stations/…`, `/logistics/…`, `/training/…` and "
        "`/programme/…` are forwarded to the services with the caller's identity.",
        public_routers=[proxy_router],
        readiness_checks=[check_services],
        extra_lifespan=upstream_client,
    )
