"""The stations service: divisions, the three-tier station registry, monthly reports,
network indicators and the change feed. Run: ``uvicorn services.stations.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from services.stations.base import SCHEMA
from services.stations.changes.router import router as changes_router
from services.stations.divisions.export import router as reference_router
from services.stations.divisions.router import router as divisions_router
from services.stations.indicators.router import HOT_ROUTES as INDICATOR_HOT_ROUTES
from services.stations.indicators.router import router as indicators_router
from services.stations.record.router import HOT_RECORD_PART
from services.stations.record.router import router as record_router
from services.stations.registry.router import HOT_READ
from services.stations.registry.router import router as registry_router
from services.stations.reports.router import router as reports_router
from services.stations.settings import StationsSettings


def create(settings: StationsSettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or StationsSettings(),
        schema=SCHEMA,
        title="ruralnet stations",
        description="Administrative divisions and the county–township–village station registry.",
        routers=[
            divisions_router,
            registry_router,
            reports_router,
            indicators_router,
            changes_router,
            reference_router,
            record_router,
        ],
        hot_routes=[HOT_READ, HOT_RECORD_PART, *INDICATOR_HOT_ROUTES],
    )
