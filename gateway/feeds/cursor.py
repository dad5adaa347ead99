"""The merged feed's cursor: each service's own feed cursor, side by side, so a poll resumes
every feed exactly after the last event it consumed of it (none skipped, whatever the merge
order), opaque to clients."""

import base64
import binascii
import json

from common.changefeed import decode_feed_cursor
from common.errors import BadRequest

SERVICES = ("stations", "logistics", "training", "programme")


def _invalid() -> BadRequest:
    return BadRequest(
        "after must be a cursor this feed handed out",
        detail_zh="after 参数不是本接口给出的游标",
        code="invalid_cursor",
        field="after",
        location="query",
    )


def encode(positions: dict[str, str | None]) -> str:
    raw = json.dumps({k: v for k, v in positions.items() if v}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str | None) -> dict[str, str | None]:
    if not cursor:
        return dict.fromkeys(SERVICES)
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(raw, dict) or not set(raw) <= set(SERVICES):
        raise _invalid()
    for value in raw.values():
        if not isinstance(value, str):
            raise _invalid()
        decode_feed_cursor(value)  # the service's own shape, or 400
    return {service: raw.get(service) for service in SERVICES}
