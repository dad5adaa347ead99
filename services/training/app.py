"""The training service: sessions, trainees, attendance, outcomes and subsidies.
Run: ``uvicorn services.training.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from common.feedconsumer import status_on_ready, status_on_scrape
from services.training import keys
from services.training.attendance.router import router as attendance_router
from services.training.base import SCHEMA
from services.training.changes.router import router as changes_router
from services.training.indicators.router import HOT_ROUTES as INDICATOR_HOT_ROUTES
from services.training.indicators.router import router as indicators_router
from services.training.outcomes.router import router as outcomes_router
from services.training.record.router import HOT_RECORD_PART
from services.training.record.router import router as record_router
from services.training.reference.models import TrainingFeedCursor
from services.training.sessions.router import router as sessions_router
from services.training.settings import TrainingSettings
from services.training.stations_feed import SOURCE, follow_stations
from services.training.subsidies.router import router as subsidies_router
from services.training.trainees.router import router as trainees_router


def create(settings: TrainingSettings | None = None) -> FastAPI:
    settings = settings or TrainingSettings()
    app = create_app(
        settings=settings,
        schema=SCHEMA,
        title="ruralnet training",
        description="E-commerce training sessions, trainees, attendance, outcomes and subsidies.",
        readiness_checks=[status_on_ready(TrainingFeedCursor, SOURCE)],
        extra_lifespan=follow_stations,
        field_keys_in_use=keys.IN_USE,
        routers=[
            sessions_router,
            trainees_router,
            attendance_router,
            outcomes_router,
            subsidies_router,
            indicators_router,
            changes_router,
            record_router,
        ],
        hot_routes=[HOT_RECORD_PART, *INDICATOR_HOT_ROUTES],
    )
    app.state.field_cipher = settings.field_cipher()
    app.state.metrics.on_scrape(status_on_scrape(TrainingFeedCursor, SOURCE))
    return app
