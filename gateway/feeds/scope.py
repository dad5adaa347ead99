"""Which division an event of a service's feed is about, so a platform sees only its subtree.

The services' events name their place in different ways: a station's code starts with its
village's 12-digit code; monthly reports and training sessions carry ``division_code``;
programme events and training outcomes ``county_code``; a division flag is keyed by the code.
An event that names no place (a carrier, a target set, a division-list import, attendance
counts keyed by session) is national: only a national scope sees it.
"""

from typing import Any

from common.auth import NATION

_PLACE_FIELDS = ("division_code", "county_code")


def division_of(service: str, topic: str, key: str, payload: dict[str, Any]) -> str | None:
    if service == "stations" and topic == "station":
        return key[:12]
    if service == "stations" and topic == "division_flag":
        return key
    for field in _PLACE_FIELDS:
        value = payload.get(field)
        if isinstance(value, str) and value.isdigit():
            return value
    return None


def visible(scope: str | None, division: str | None) -> bool:
    """``scope`` is a principal's division (``nation``, a prefix) or None for admins."""
    if scope is None or scope == NATION:
        return True
    return division is not None and division.startswith(scope)
