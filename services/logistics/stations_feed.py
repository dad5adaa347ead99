"""Logistics follows the stations feed: the division reference copy and the station
projection, in the app's lifespan (docs/adr/0020)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from common.feedconsumer import FeedConsumer, running
from common.reference_sync import ReferenceFollower
from services.logistics.points.service import TOPIC as STATION_TOPIC
from services.logistics.points.service import on_station_events
from services.logistics.reference.models import (
    LogisticsCountyBoundary,
    LogisticsDivision,
    LogisticsFeedCursor,
)
from services.logistics.settings import LogisticsSettings

SOURCE = "stations"
REFERENCE = ReferenceFollower(LogisticsDivision, LogisticsCountyBoundary)


def stations_consumer(settings: LogisticsSettings) -> FeedConsumer:
    return FeedConsumer(
        component=settings.component,
        source=SOURCE,
        base_url=str(settings.stations_url).rstrip("/"),
        database_url=settings.database_url,
        internal_secret=settings.internal_secret.get_secret_value(),
        cursor_model=LogisticsFeedCursor,
        handlers={**REFERENCE.handlers(), STATION_TOPIC: on_station_events},
        on_start=REFERENCE.on_start,
    )


@asynccontextmanager
async def follow_stations(app: FastAPI) -> AsyncIterator[None]:
    settings: LogisticsSettings = app.state.settings
    if not settings.follow_stations:
        yield
        return
    async with running(stations_consumer(settings)) as consumer:
        app.state.stations_consumer = consumer
        yield
