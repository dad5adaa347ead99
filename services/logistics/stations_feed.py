"""Logistics follows the stations feed: the division reference copy and the station
projection, in the app's lifespan (docs/adr/0020)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.exc import SQLAlchemyError

from common.feedconsumer import (
    FeedConsumer,
    FeedStatus,
    export_status,
    read_status,
    running,
)
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


async def _status(request: Request) -> FeedStatus | None:
    """The projection's position from the cursor row (whichever process consumes); None
    when the database does not answer (its own check says so)."""
    try:
        async with request.app.state.read_sessionmaker() as session:
            return await read_status(session, LogisticsFeedCursor, SOURCE)
    except (SQLAlchemyError, OSError):
        return None


async def feed_readiness(request: Request) -> tuple[bool, Any]:
    """The projection's lag. Lag does not make logistics unready: it still serves what it
    has while stations is away."""
    status = await _status(request)
    if status is None:
        return True, {}
    detail = status.as_detail()
    consumer = getattr(request.app.state, "stations_consumer", None)
    if consumer is not None:
        detail["consumer"] = consumer.state.role
    return True, {"feeds": {SOURCE: detail}}


async def feed_metrics(request: Request) -> None:
    """``/metrics``: the projection's lag and events applied, read when scraped."""
    status = await _status(request)
    if status is not None:
        export_status(request.app.state.metrics, status)
