"""The one way a ruralnet component becomes an ASGI app.

Every app gets, in this order from the outside in: the request context (request id, public
base for links, access log, metrics), the component's own edge layers (the gateway's CORS and
pass-through), retries of writes that lost a database race, the route's body limit
(``common.limits``), ``HEAD``/``OPTIONS``, gzip for large answers, the hot reads' direct way
in (``common.hotpath``), then FastAPI's routing with the problem-details handlers;
``/healthz``, ``/readyz``, ``/metrics`` and ``/docs`` (Swagger UI served locally).
"""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from common.auth import VerifiedInternalTokens, require_principal
from common.changefeed import application_name
from common.db import make_engine, make_read_sessionmaker, make_sessionmaker
from common.dberrors import TransactionRetryMiddleware
from common.docs import install_docs
from common.errors import install_error_handlers
from common.guards import refuse_nul
from common.health import ReadinessCheck
from common.health import router as health_router
from common.hotpath import HotAuthenticate, HotPathMiddleware, HotRoute
from common.keyring import check_keys_at_start
from common.links import PublicBaseVerifier
from common.logging import configure_logging
from common.metrics import Metrics
from common.metrics import router as metrics_router
from common.middleware import (
    BodyLimitMiddleware,
    HeadOptionsMiddleware,
    RequestContextMiddleware,
)
from common.migrations import migration_head
from common.openapi import openapi_with_problems
from common.settings import ComponentSettings, FieldKeySettings

# FastAPI's native OpenTelemetry asks the global providers on every request whether one is
# configured (~7.5 µs a request, ~2.5 % of a request forwarded by the gateway); none ever is
# here (only the API is installed, no SDK), so it is switched off rather than asked.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}

ExtraLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
OpenAPIBuilder = Callable[[FastAPI], dict[str, Any]]
# Below this a JSON answer is not worth compressing (headers alone are ~300 bytes).
GZIP_MINIMUM_SIZE = 1024


def create_app(
    *,
    settings: ComponentSettings,
    schema: str,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    public_routers: Sequence[APIRouter] = (),
    readiness_checks: Sequence[ReadinessCheck] = (),
    extra_lifespan: ExtraLifespan | None = None,
    edge_middleware: Sequence[Middleware] = (),
    hot_routes: Sequence[HotRoute] = (),
    hot_authenticate: HotAuthenticate | None = None,
    openapi: OpenAPIBuilder = openapi_with_problems,
    field_keys_in_use: str | None = None,
) -> FastAPI:
    """Build a component: ``routers`` need the internal token, ``public_routers`` do not.
    ``hot_routes`` answer the plain case of a few hot reads directly (``common.hotpath``),
    their bearer token checked by ``hot_authenticate`` (an internal token's by default).
    ``field_keys_in_use``: SQL listing the field key ids of what the component has sealed;
    it refuses to start when its key ring lacks one (``common.keyring``).

    ``edge_middleware`` (outermost first) sees every request after the request context is
    set and before routing; ``openapi`` builds the document at ``/openapi.json``.
    """
    configure_logging(json=settings.json_logs)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.database_url,
            application_name=application_name(settings.component),
            pool_size=settings.db_pool_size,
        )
        metrics.watch_pool(engine, settings.db_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        if field_keys_in_use is not None:
            assert isinstance(settings, FieldKeySettings)
            await check_keys_at_start(engine, settings, field_keys_in_use)
        try:
            if extra_lifespan is None:
                yield
            else:
                async with extra_lifespan(app):
                    yield
        finally:
            await engine.dispose()

    component = settings.component

    def operation_id(route: APIRoute) -> str:
        # The route's function name under the component: ``stations.create_station``.
        return f"{component}.{route.name}"

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(refuse_nul)],
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.schema = schema
    app.state.migration_head = migration_head(schema)
    app.state.readiness_checks = list(readiness_checks)
    app.state.metrics = metrics
    app.state.internal_tokens = VerifiedInternalTokens(settings.internal_secret.get_secret_value())
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]

    # add_middleware puts each layer outside the ones added before it: innermost first.
    if hot_routes:
        app.add_middleware(
            HotPathMiddleware,
            routes=hot_routes,
            tokens=app.state.internal_tokens,
            authenticate=hot_authenticate,
        )
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE)
    app.add_middleware(HeadOptionsMiddleware, router=app.router)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(TransactionRetryMiddleware)
    for layer in reversed(edge_middleware):
        app.add_middleware(layer.cls, *layer.args, **layer.kwargs)
    secret = settings.internal_secret.get_secret_value()
    app.add_middleware(
        RequestContextMiddleware,
        metrics=metrics,
        public_base=settings.public_base,
        # A component with a public URL of its own is an edge: it takes no forwarded base.
        verifier=None if settings.public_base else PublicBaseVerifier(secret),
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health_router)
    app.include_router(metrics_router)
    for router in public_routers:
        app.include_router(router)
    for router in routers:
        app.include_router(router, dependencies=[Depends(require_principal)])
    return app
