"""The station projection: stations' ``station`` events applied as they come."""

from collections.abc import Sequence

import asyncpg
import httpx

from common.changefeed import ChangeEvent
from services.logistics.points import repository
from services.logistics.points.schemas import StationEventPayload

TOPIC = "station"


async def on_station_events(
    conn: asyncpg.Connection, client: httpx.AsyncClient, events: Sequence[ChangeEvent]
) -> None:
    await repository.apply_stations(
        conn, [(StationEventPayload.model_validate(e.payload), e.version) for e in events]
    )
