"""A query parameter holding a batch of division codes (``codes=141124100201,141124100202``):
what a composite view asks a service in one call instead of one per place."""

from collections.abc import Collection

from common.errors import Unprocessable
from common.identifiers import DivisionLevel, InvalidDivisionCode, division_level
from common.identifiers import normalize_division_code as _normalize

_LEVEL_ZH = {
    DivisionLevel.PROVINCE: "省",
    DivisionLevel.PREFECTURE: "市",
    DivisionLevel.COUNTY: "县",
    DivisionLevel.TOWNSHIP: "乡",
    DivisionLevel.VILLAGE: "村",
}


def division_codes(
    raw: str,
    *,
    levels: Collection[DivisionLevel],
    limit: int,
    field: str = "codes",
    location: str = "query",
) -> list[str]:
    """The distinct 12-digit codes of a comma-separated list, sorted; 422 naming ``field``
    for an empty or too long list (``invalid_code_list``), a malformed code
    (``invalid_division_code``) or one of another level (``wrong_division_level``)."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or len(parts) > limit:
        raise Unprocessable(
            f"{field}: give 1 to {limit} division codes, comma-separated",
            detail_zh=f"{field}:请给出 1 至 {limit} 个区划代码,以逗号分隔",
            code="invalid_code_list",
            field=field,
            location=location,
        )
    codes = set()
    for part in parts:
        try:
            code = _normalize(part)
            level = division_level(code)
        except InvalidDivisionCode as e:
            raise Unprocessable(
                f"{field}: {e.message}",
                detail_zh=f"{field}:{e.message_zh}",
                code="invalid_division_code",
                field=field,
                location=location,
            ) from None
        if level not in levels:
            wanted = ", ".join(str(v) for v in levels)
            wanted_zh = "、".join(_LEVEL_ZH[v] for v in levels)
            raise Unprocessable(
                f"{field}: {part} is a {level} code; give {wanted} codes",
                detail_zh=f"{field}:{part} 是{_LEVEL_ZH[level]}级代码,应为{wanted_zh}级代码",
                code="wrong_division_level",
                field=field,
                location=location,
            )
        codes.add(code)
    return sorted(codes)
