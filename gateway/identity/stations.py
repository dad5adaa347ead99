"""What identity asks the stations service, which owns divisions and stations: does this
division exist (an official's scope), does this station exist and is it still open (an
operator's). One call per account created, so a plain HTTP call (no reference copy)."""

from typing import Any

import httpx

from common.errors import ServiceUnavailable, Unprocessable
from common.logging import get_logger

log = get_logger(__name__)
RETRY_AFTER = "5"


def _unavailable(error: Exception | None = None) -> ServiceUnavailable:
    log.warning("stations check failed", error=type(error).__name__ if error else "status")
    return ServiceUnavailable(
        "The stations service cannot be reached to check the station or division; retry later",
        detail_zh="暂时无法向站点服务核实站点或区划,请稍后重试",
        code="stations_unreachable",
        headers={"Retry-After": RETRY_AFTER},
    )


async def _get(client: httpx.AsyncClient, path: str) -> dict[str, Any] | None:
    try:
        response = await client.get(path)
    except httpx.HTTPError as e:
        raise _unavailable(e) from e
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _unavailable()
    body: dict[str, Any] = response.json()
    return body


async def check_division(client: httpx.AsyncClient, scope: str) -> None:
    """An official's scope must name a current division (``scope`` is normalised)."""
    code = scope.ljust(12, "0")
    division = await _get(client, f"/v1/divisions/{code}")
    if division is None or division.get("until_edition") is not None:
        raise Unprocessable(
            f"division {scope} does not exist (or no longer does)",
            detail_zh=f"区划 {scope} 不存在或已撤销",
            code="division_not_found",
            field="division",
        )


async def check_station(client: httpx.AsyncClient, station: str) -> None:
    """An operator's station must exist and not be closed."""
    found = await _get(client, f"/v1/stations/{station}")
    if found is None:
        raise Unprocessable(
            f"station {station} does not exist",
            detail_zh=f"站点 {station} 不存在",
            code="station_not_found",
            field="station",
        )
    if found.get("status") == "closed":
        raise Unprocessable(
            f"station {station} is closed; an operator cannot be bound to it",
            detail_zh=f"站点 {station} 已关闭,不能为其开设站长账号",
            code="station_closed",
            field="station",
        )
