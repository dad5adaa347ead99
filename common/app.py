"""The one way a ruralnet component becomes an ASGI app."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from common.auth import require_principal
from common.changefeed import application_name
from common.db import make_engine, make_read_sessionmaker, make_sessionmaker
from common.dberrors import TransactionRetryMiddleware
from common.errors import PROBLEM_JSON, ProblemDetails, install_error_handlers
from common.guards import refuse_nul
from common.health import ReadinessCheck
from common.health import router as health_router
from common.logging import configure_logging
from common.middleware import RequestContextMiddleware
from common.migrations import migration_head
from common.settings import ComponentSettings

ExtraLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


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
) -> FastAPI:
    """Build a component: ``routers`` need the internal token, ``public_routers`` do not."""
    configure_logging(json=settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.database_url,
            application_name=application_name(settings.component),
            pool_size=settings.db_pool_size,
        )
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        try:
            if extra_lifespan is None:
                yield
            else:
                async with extra_lifespan(app):
                    yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    app.state.schema = schema
    app.state.migration_head = migration_head(schema)
    app.state.readiness_checks = list(readiness_checks)
    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]
    # Inside the request context: a retried write keeps its one request id and log line.
    app.add_middleware(TransactionRetryMiddleware)
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(health_router)
    for router in public_routers:
        app.include_router(router)
    for router in routers:
        app.include_router(router, dependencies=[Depends(require_principal)])
    return app


_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def _openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document as the API really answers: every error is
    ``application/problem+json`` (FastAPI documents its 422 as plain JSON of another shape),
    and every route behind the internal token says it may answer 401."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["ProblemDetails"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault(
                    "401", {"description": "the internal token is missing, forged or expired"}
                )
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    app.openapi_schema = schema
    return schema
