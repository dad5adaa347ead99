"""What programme asks the stations service about the stations a project links: that a
station exists, where it is, its tier and whether it is accepted (验收). Over HTTP with the
app's pooled client (explicit timeouts, a service token per request); a stations that
cannot answer is a 503 with ``Retry-After``, never a guess."""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from common.errors import ServiceUnavailable
from common.logging import get_logger

log = get_logger(__name__)
RETRY_AFTER = "5"
# Parallel lookups for one acceptance check (a village-point project may link hundreds).
CONCURRENCY = 8


@dataclass(frozen=True)
class StationRecord:
    code: str
    name: str
    tier: str
    status: str
    county_code: str


def _unavailable(reason: str) -> ServiceUnavailable:
    log.warning("stations unavailable", reason=reason)
    return ServiceUnavailable(
        f"the stations service cannot be asked about stations now ({reason}); retry later",
        detail_zh="暂时无法向站点服务核实站点信息,请稍后重试",
        code="stations_unavailable",
        headers={"Retry-After": RETRY_AFTER},
    )


async def fetch_station(client: httpx.AsyncClient, code: str) -> StationRecord | None:
    """The station, or None when stations has no station with this code."""
    try:
        response = await client.get(f"/v1/stations/{code}")
    except httpx.TimeoutException as e:
        raise _unavailable("timed out") from e
    except httpx.HTTPError as e:
        raise _unavailable(type(e).__name__) from e
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _unavailable(f"answered {response.status_code}")
    body = response.json()
    return StationRecord(
        code=body["code"],
        name=body["name"],
        tier=body["tier"],
        status=body["status"],
        county_code=body["county_code"],
    )


async def fetch_stations(
    client: httpx.AsyncClient, codes: Iterable[str]
) -> dict[str, StationRecord | None]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(code: str) -> tuple[str, StationRecord | None]:
        async with limit:
            return code, await fetch_station(client, code)

    return dict(await asyncio.gather(*(one(code) for code in codes)))
