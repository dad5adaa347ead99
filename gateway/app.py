"""The gateway: authentication, routing to the services, and (in time) composite views,
dashboards and report delivery. Run: ``uvicorn gateway.app:create --factory``.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from common.app import create_app
from gateway.base import SCHEMA
from gateway.feeds.router import router as feeds_router
from gateway.feeds.subscriptions.router import router as subscriptions_router
from gateway.identity.context import identity_lifespan
from gateway.identity.router import routers as identity_routers
from gateway.openapi import merged_openapi
from gateway.proxy import Passthrough, check_services, upstream_client
from gateway.registry.context import registry_lifespan
from gateway.registry.records.router import HOT_RECORD, hot_authenticate
from gateway.registry.router import routers as registry_routers
from gateway.reports.deliveries import rekey
from gateway.reports.deliveries.router import router as deliveries_router
from gateway.reports.documents import jobs as document_jobs  # noqa: F401  (installs the revision hook)
from gateway.reports.documents.router import router as documents_router
from gateway.reports.targets.router import router as targets_router
from gateway.settings import GatewaySettings

# What the officials' web front end sends and must be able to read (CORS, ADR 0013).
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
]
CORS_RESPONSE_HEADERS = ["ETag", "Location", "Link", "Retry-After", "X-Request-ID"]
CORS_MAX_AGE = 600


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with upstream_client(app), identity_lifespan(app), registry_lifespan(app):
        yield


def create(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    edge = []
    if settings.cors_origins:
        edge.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=CORS_RESPONSE_HEADERS,
                max_age=CORS_MAX_AGE,
            )
        )
    return create_app(
        settings=settings,
        schema=SCHEMA,
        title="ruralnet gateway",
        description="The public entrance: `/stations/…`, `/logistics/…`, `/training/…` and "
        "`/programme/…` are forwarded to the services with the caller's identity.",
        public_routers=[
            *identity_routers,
            *registry_routers,
            documents_router,
            targets_router,
            deliveries_router,
            feeds_router,
            subscriptions_router,
        ],
        readiness_checks=[check_services],
        extra_lifespan=_lifespan,
        field_keys_in_use=rekey.IN_USE,
        edge_middleware=[*edge, Middleware(Passthrough, settings=settings)],
        hot_routes=[HOT_RECORD],
        hot_authenticate=hot_authenticate,
        openapi=merged_openapi,
    )
