"""Training follows the stations feed for its division reference copy (docs/adr/0020)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from common.feedconsumer import FeedConsumer, running
from common.reference_sync import ReferenceFollower
from services.training.reference.models import TrainingDivision, TrainingFeedCursor
from services.training.settings import TrainingSettings

SOURCE = "stations"
REFERENCE = ReferenceFollower(TrainingDivision)


def stations_consumer(settings: TrainingSettings) -> FeedConsumer:
    return FeedConsumer(
        component=settings.component,
        source=SOURCE,
        base_url=str(settings.stations_url).rstrip("/"),
        database_url=settings.database_url,
        internal_secret=settings.internal_secret.get_secret_value(),
        cursor_model=TrainingFeedCursor,
        handlers=REFERENCE.handlers(),
        on_start=REFERENCE.on_start,
    )


@asynccontextmanager
async def follow_stations(app: FastAPI) -> AsyncIterator[None]:
    settings: TrainingSettings = app.state.settings
    if not settings.follow_stations:
        yield
        return
    async with running(stations_consumer(settings)) as consumer:
        app.state.stations_consumer = consumer
        yield
