"""Checks of identifiers sent to the training service, as problems naming the field, with a
Chinese message. A resident ID number is never repeated in a message (it is personal data)."""

from common.errors import Unprocessable
from common.identifiers import (
    DivisionClass,
    DivisionLevel,
    InvalidDivisionCode,
    InvalidPhone,
    InvalidResidentId,
    ResidentId,
    division_class,
    division_level,
    normalize_credit_code,
    normalize_division_code,
    normalize_phone,
    parse_resident_id,
)


def division_code(raw: str, field: str, *, location: str = "body") -> str:
    """A 12-digit code from a full code or a prefix of 2, 4, 6 or 9 digits."""
    try:
        code = normalize_division_code(raw)
        division_level(code)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            str(e),
            detail_zh=f"{raw!r} 不是有效的 12 位统计用区划代码",
            code="invalid_division_code",
            field=field,
            location=location,
        ) from None
    return code


def village_code(raw: str, field: str) -> str:
    """A residence is a village-level unit (village or residents' committee): the level at
    which the seeds count trained people (每个行政村 1–3 名电商人才)."""
    code = division_code(raw, field)
    level = division_level(code)
    if level is not DivisionLevel.VILLAGE:
        raise Unprocessable(
            f"{code} is a {level} code; a residence is a village-level code (12 digits, the "
            "last three not 000)",
            detail_zh=f"{code} 是{_LEVEL_ZH[level]}级代码,居住地应为村级(村委会/居委会)代码",
            code="residence_not_village",
            field=field,
        )
    return code


_LEVEL_ZH = {
    DivisionLevel.PROVINCE: "省",
    DivisionLevel.PREFECTURE: "地市",
    DivisionLevel.COUNTY: "县",
    DivisionLevel.TOWNSHIP: "乡镇",
    DivisionLevel.VILLAGE: "村",
}


def is_village_committee(code: str) -> bool:
    return division_class(code) is DivisionClass.VILLAGE_COMMITTEE


def credit_code(raw: str, field: str) -> str:
    try:
        return normalize_credit_code(raw)
    except ValueError as e:
        raise Unprocessable(
            str(e),
            detail_zh="统一社会信用代码无效(18 位,末位为校验码)",
            code="invalid_credit_code",
            field=field,
        ) from None


def resident_id(raw: str, field: str = "id_number") -> ResidentId:
    try:
        return parse_resident_id(raw)
    except InvalidResidentId as e:
        raise Unprocessable(str(e), detail_zh=e.message_zh, code=e.code, field=field) from None


def phone(raw: str, field: str = "phone") -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as e:
        raise Unprocessable(
            f"{e}",
            detail_zh="不是有效的中国大陆手机或固定电话号码",
            code="invalid_phone",
            field=field,
        ) from None
