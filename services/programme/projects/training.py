"""What programme asks the training service about the sessions a training project funds:
that a session exists, where it is held and whether it took place. Over HTTP with the
app's pooled client, as for stations (``projects.stations``)."""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from common.errors import ServiceUnavailable
from common.logging import get_logger

log = get_logger(__name__)
RETRY_AFTER = "5"
CONCURRENCY = 8


@dataclass(frozen=True)
class SessionRecord:
    id: int
    topic: str
    status: str  # planned, held, cancelled
    division_code: str  # where it is held


def _unavailable(reason: str) -> ServiceUnavailable:
    log.warning("training unavailable", reason=reason)
    return ServiceUnavailable(
        f"the training service cannot be asked about sessions now ({reason}); retry later",
        detail_zh="暂时无法向培训服务核实培训班信息,请稍后重试",
        code="training_unavailable",
        headers={"Retry-After": RETRY_AFTER},
    )


async def fetch_session(client: httpx.AsyncClient, session_id: int) -> SessionRecord | None:
    """The session, or None when training has no session with this id."""
    try:
        response = await client.get(f"/v1/sessions/{session_id}")
    except httpx.TimeoutException as e:
        raise _unavailable("timed out") from e
    except httpx.HTTPError as e:
        raise _unavailable(type(e).__name__) from e
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _unavailable(f"answered {response.status_code}")
    body = response.json()
    return SessionRecord(
        id=body["id"],
        topic=body["topic"],
        status=body["status"]["status"],
        division_code=body["place"]["division_code"],
    )


async def fetch_sessions(
    client: httpx.AsyncClient, ids: Iterable[int]
) -> dict[int, SessionRecord | None]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(session_id: int) -> tuple[int, SessionRecord | None]:
        async with limit:
            return session_id, await fetch_session(client, session_id)

    return dict(await asyncio.gather(*(one(i) for i in ids)))
