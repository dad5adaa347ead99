"""``?division=`` of the registry's lists: a division code or its prefix, checked to exist
in the stations service's reference data before anything is walked."""

from common.errors import NotFound, ServiceUnavailable, Unprocessable
from common.identifiers import (
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    division_prefix,
    normalize_division_code,
)
from gateway.registry.caller import Caller
from gateway.registry.upstream import PartFailed, Upstream

_LEVELS = (
    DivisionLevel.PROVINCE,
    DivisionLevel.PREFECTURE,
    DivisionLevel.COUNTY,
    DivisionLevel.TOWNSHIP,
)


def division_not_found(code: str, location: str = "query") -> NotFound:
    return NotFound(
        f"no division {code}",
        detail_zh=f"没有区划 {code}",
        code="division_not_found",
        field="division",
        location=location,
    )


async def division_filter(upstream: Upstream, caller: Caller, raw: str | None) -> str | None:
    """The code prefix to filter by (None: the whole country)."""
    if raw is None:
        return None
    try:
        code = normalize_division_code(raw)
        level = division_level(code)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            e.message, detail_zh=e.message_zh, code="invalid_division_code",
            field="division", location="query",
        ) from None  # fmt: skip
    if level not in _LEVELS:
        raise Unprocessable(
            f"division {raw} is a village; filter by a township or above",
            detail_zh=f"division {raw} 是村级代码,请按乡镇及以上区划筛选",
            code="wrong_division_level",
            field="division",
            location="query",
        )
    try:
        await upstream.get(caller, "stations", f"/v1/divisions/{code}", part="division")
    except PartFailed as e:
        if e.error.status == 404:
            raise division_not_found(code) from e
        raise divisions_unavailable(code, e.error.code) from e
    return division_prefix(code)


def divisions_unavailable(code: str, why: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the stations service could not say what division {code} is ({why}); retry later",
        detail_zh=f"无法从站点服务获取区划 {code},请稍后重试",
        code="divisions_unavailable",
        headers={"Retry-After": "5"},
    )
