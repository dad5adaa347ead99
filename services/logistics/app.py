"""The logistics service: carriers, depots, coverage and parcel volumes.
Run: ``uvicorn services.logistics.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from common.feedconsumer import status_on_ready, status_on_scrape
from services.logistics.base import SCHEMA
from services.logistics.carriers.router import router as carriers_router
from services.logistics.changes.router import router as changes_router
from services.logistics.coverage.router import router as coverage_router
from services.logistics.depots.router import router as depots_router
from services.logistics.indicators.router import HOT_ROUTES as INDICATOR_HOT_ROUTES
from services.logistics.indicators.router import router as indicators_router
from services.logistics.points.router import HOT_CARRIERS
from services.logistics.points.router import router as points_router
from services.logistics.reference.models import LogisticsFeedCursor
from services.logistics.settings import LogisticsSettings
from services.logistics.stations_feed import SOURCE, follow_stations
from services.logistics.volumes.router import router as volumes_router


def create(settings: LogisticsSettings | None = None) -> FastAPI:
    app = create_app(
        settings=settings or LogisticsSettings(),
        schema=SCHEMA,
        title="ruralnet logistics",
        description="Carriers, depots, courier coverage of townships and villages, parcel volumes.",
        routers=[
            carriers_router,
            coverage_router,
            depots_router,
            volumes_router,
            points_router,
            indicators_router,
            changes_router,
        ],
        hot_routes=[HOT_CARRIERS, *INDICATOR_HOT_ROUTES],
        readiness_checks=[status_on_ready(LogisticsFeedCursor, SOURCE)],
        extra_lifespan=follow_stations,
    )
    app.state.metrics.on_scrape(status_on_scrape(LogisticsFeedCursor, SOURCE))
    return app
