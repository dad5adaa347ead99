"""Programme follows the stations feed for its division reference copy (docs/adr/0020), and
holds pooled clients for the components it asks about a project's stations and training
sessions (docs/adr/0042)."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from common.feedconsumer import FeedConsumer, running
from common.reference_sync import ReferenceFollower
from common.service_client import service_client
from services.programme.reference.models import ProgrammeDivision, ProgrammeFeedCursor
from services.programme.settings import ProgrammeSettings

SOURCE = "stations"
REFERENCE = ReferenceFollower(ProgrammeDivision)


def stations_consumer(settings: ProgrammeSettings) -> FeedConsumer:
    return FeedConsumer(
        component=settings.component,
        source=SOURCE,
        base_url=str(settings.stations_url).rstrip("/"),
        database_url=settings.database_url,
        internal_secret=settings.internal_secret.get_secret_value(),
        cursor_model=ProgrammeFeedCursor,
        handlers=REFERENCE.handlers(),
        on_start=REFERENCE.on_start,
    )


@asynccontextmanager
async def peers(app: FastAPI) -> AsyncIterator[None]:
    """The pooled clients for stations and training, and (unless turned off) the stations
    feed consumer."""
    settings: ProgrammeSettings = app.state.settings
    async with AsyncExitStack() as stack:
        for name, url in (("stations", settings.stations_url), ("training", settings.training_url)):
            client = service_client(
                str(url).rstrip("/"),
                component=settings.component,
                secret=settings.internal_secret.get_secret_value(),
                connect_timeout=settings.peer_connect_timeout,
                read_timeout=settings.peer_timeout,
            )
            setattr(app.state, name, await stack.enter_async_context(client))
        if settings.follow_stations:
            app.state.stations_consumer = await stack.enter_async_context(
                running(stations_consumer(settings))
            )
        yield
