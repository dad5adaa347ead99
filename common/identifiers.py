"""Chinese identifiers: NBS statistical division codes, mobile numbers, unified social credit
codes (GB 32100) and resident ID numbers (GB 11643), with the masks we show them under.

The checksum algorithms come from python-stdnum (``stdnum.cn.uscc``, ``stdnum.cn.ric``).
A refused value raises a ``ValueError`` that carries its code and a Chinese message
(``common.errors.InvalidValue``), so every answer that reports it speaks both languages.
"""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from common.errors import InvalidValue


class DivisionLevel(StrEnum):
    """统计用区划 levels; the level follows from the trailing zeros of the 12-digit code."""

    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class DivisionClass(StrEnum):
    """What a township- or village-level unit is, by its sequence digits (NBS rules)."""

    SUBDISTRICT = "subdistrict"  # 街道, township seq 001–099
    TOWN = "town"  # 镇, 100–199
    TOWNSHIP = "township"  # 乡, 200–399
    TOWNSHIP_LIKE = "township_like"  # farms, development zones …, 400–599
    RESIDENTS_COMMITTEE = "residents_committee"  # 居委会, village seq 001–199 (urban)
    VILLAGE_COMMITTEE = "village_committee"  # 村委会/嘎查, 200–399: what coverage counts
    OTHER = "other"  # 400–599 unconfirmed or virtual units, and anything else


# Digits of each level in the 12-digit code: province 2, prefecture 2, county 2, township 3, village 3.
PREFIX_LENGTH = {
    DivisionLevel.PROVINCE: 2,
    DivisionLevel.PREFECTURE: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWNSHIP: 9,
    DivisionLevel.VILLAGE: 12,
}


class InvalidDivisionCode(InvalidValue):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__("invalid_division_code", message, message_zh)


def normalize_division_code(raw: str) -> str:
    """A 12-digit code from a full code or a short one (2, 4, 6, 9 digits, zero-padded)."""
    code = raw.strip()
    # ASCII digits only (isdigit alone takes full-width ones); an upload asks 100,000 times.
    if code.isascii() and code.isdigit():
        if len(code) in (2, 4, 6, 9):
            code = code.ljust(12, "0")
        elif len(code) != 12:
            code = ""  # refused below
    else:
        code = ""
    if not code:
        raise InvalidDivisionCode(
            f"{raw!r} is not a 12-digit statistical division code",
            f"{raw!r} 不是 12 位统计用区划代码",
        )
    if code[:2] == "00":
        raise InvalidDivisionCode(f"{raw!r} has no province", f"{raw!r} 缺少省级代码")
    return code


def division_level(code: str) -> DivisionLevel:
    # A village needs its township, a county its prefecture …: no holes in the hierarchy,
    # except the county digits: prefecture-level cities without counties (不设区的地级市:
    # 东莞 4419, 中山 4420, 儋州 4604) list their townships directly, e.g. 441900003000.
    if code[9:] != "000":
        if code[6:9] == "000" or code[2:4] == "00":
            raise InvalidDivisionCode(f"{code} skips a level", f"{code} 跳过了一级区划")
        return _VILLAGE
    if code[6:9] != "000":
        level = _TOWNSHIP
    elif code[4:6] != "00":
        level = _COUNTY
    elif code[2:4] != "00":
        return _PREFECTURE
    else:
        return _PROVINCE
    if code[2:4] == "00":
        raise InvalidDivisionCode(f"{code} skips a level", f"{code} 跳过了一级区划")
    return level


# Module constants: looked up faster than the enum's members (division_level runs per row).
_PROVINCE, _PREFECTURE, _COUNTY, _TOWNSHIP, _VILLAGE = DivisionLevel


def division_prefix(code: str) -> str:
    """The significant digits: the prefix every code below this division starts with."""
    return code[: PREFIX_LENGTH[division_level(code)]]


def parent_code(code: str) -> str | None:
    level = division_level(code)
    if level is DivisionLevel.PROVINCE:
        return None
    shorter = list(PREFIX_LENGTH.values())[list(PREFIX_LENGTH).index(level) - 1]
    return code[:shorter].ljust(12, "0")


def county_code(code: str) -> str:
    return code[:6].ljust(12, "0")


def division_class(code: str) -> DivisionClass | None:
    level = division_level(code)
    if level is DivisionLevel.TOWNSHIP:
        seq = int(code[6:9])
        if seq < 100:
            return DivisionClass.SUBDISTRICT
        if seq < 200:
            return DivisionClass.TOWN
        if seq < 400:
            return DivisionClass.TOWNSHIP
        if seq < 600:
            return DivisionClass.TOWNSHIP_LIKE
        return DivisionClass.OTHER
    if level is DivisionLevel.VILLAGE:
        seq = int(code[9:12])
        if seq < 200:
            return DivisionClass.RESIDENTS_COMMITTEE
        if seq < 400:
            return DivisionClass.VILLAGE_COMMITTEE
        return DivisionClass.OTHER
    return None


# A station code: its division's 12-digit code and a two-digit sequence (141124100201-01).
STATION_CODE_PATTERN = r"^[0-9]{12}-[0-9]{2}$"  # ASCII only, as division codes
STATION_CODE = re.compile(STATION_CODE_PATTERN)


def normalize_station_code(raw: str) -> str:
    """A station code as stored: its division's 12-digit code and a two-digit sequence;
    ``ValueError`` otherwise."""
    if not STATION_CODE.fullmatch(raw):
        raise InvalidValue(
            "invalid_station_code",
            "not a station code (12-digit division code, '-', two digits)",
            "不是站点编码(12 位区划代码、'-'、2 位序号,例如 141124100201-01)",
        )
    try:
        normalize_division_code(raw[:12])
        division_level(raw[:12])
    except InvalidDivisionCode as e:
        raise InvalidValue(
            "invalid_station_code", f"not a station code: {e}", f"不是站点编码:{e.message_zh}"
        ) from e
    return raw


_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def normalize_mobile(raw: str) -> str:
    """A mainland mobile number as its 11 national digits (``13800138000``), from any way
    people write it (``+86 138-0013-8000``, ``0086 13800138000``).

    Checked against the numbering plan (libphonenumber's metadata), not a pattern: ranges no
    operator has been assigned (``12…``, ``1400…``) are refused, newly assigned ones follow
    the library's updates.
    """
    if len(raw) > 32:
        raise _not_mobile("too long", "过长")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as e:
        raise _not_mobile("11 digits starting 13–19", "11 位,以 13–19 开头") from e
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise _not_mobile("11 digits starting 13–19", "11 位,以 13–19 开头")
    return str(number.national_number)


def _not_mobile(why: str, why_zh: str) -> InvalidValue:
    return InvalidValue(
        "invalid_phone",
        f"not a mainland mobile number ({why})",
        f"不是有效的大陆手机号码({why_zh})",
    )


# GB 32100-2015: position 1 is the registration authority (1 机构编制, 2 外交, 3 司法行政,
# 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业农村,
# Y 其他), position 2 the kind of organisation under it (e.g. N2: 村级集体经济组织, a common
# operator of village points; 93: 农民专业合作社), 3–8 the registering division, 9–17 the
# organisation code, 18 a check character over the other 17. python-stdnum's ``cn.uscc``
# wants digits in positions 1–8 and so refuses every N, A and Y code: positions 1–2 are read
# here from the code's alphabet (digits and capitals but I, O, S, V, Z), and stdnum's check
# character formula is kept.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE = re.compile(rf"^[{_CREDIT_ALPHABET}]{{2}}[0-9]{{6}}[{_CREDIT_ALPHABET}]{{10}}$")


def _invalid_credit_code(message: str, message_zh: str) -> InvalidValue:
    return InvalidValue(
        "invalid_credit_code",
        f"not a valid unified social credit code: {message}",
        f"不是有效的统一社会信用代码:{message_zh}",
    )


def normalize_credit_code(raw: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100) with a valid check character;
    spaces and dashes dropped, letters upper-cased."""
    code = uscc.compact(raw)
    if len(code) != 18:
        raise _invalid_credit_code(
            f"{len(code)} characters; a code has 18", f"共 {len(code)} 位,应为 18 位"
        )
    if not _CREDIT_CODE.match(code):
        raise _invalid_credit_code(
            "characters 1–2 and 9–18 are digits or capitals other than I, O, S, V, Z, and "
            "3–8 (the registering division) are digits",
            "第 1–2 位和第 9–18 位应为数字或除 I、O、S、V、Z 外的大写字母,第 3–8 位(登记管理机关"
            "行政区划码)应为数字",
        )
    check = uscc.calc_check_digit(code[:17])
    if code[17] != check:
        raise _invalid_credit_code(
            f"the check character is {code[17]}, the code's characters give {check}: "
            "one of them was mistyped",
            f"校验码为 {code[17]},按前 17 位计算应为 {check},请核对是否有输错的字符",
        )
    return code


class InvalidResidentId(ValueError):
    """A resident ID number that cannot be a person's; ``code`` says why. The message never
    contains the number (it is personal data and ends up in answers and logs)."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code = code
        self.message_zh = message_zh


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID number (GB 11643) and what it tells: birth date and sex."""

    number: str
    birth_date: date
    sex: Literal["male", "female"]

    @property
    def birthplace_known(self) -> bool:
        """Whether python-stdnum's list knows the birthplace code for the birth year. Only
        advisory: area codes are retired when counties merge, and an old ID keeps its code
        for life, so an unknown one is no reason to refuse a real person."""
        try:
            ric.get_birth_place(self.number)
        except ValidationError:
            return False
        return True


_RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only, like division codes


def parse_resident_id(raw: str, *, today: date | None = None) -> ResidentId:
    """A resident ID number checked by its check character (ISO 7064 MOD 11-2) and birth
    date (a real day, not in the future, not before 1900). The birthplace part is not
    checked (see ``ResidentId.birthplace_known``). Raises ``InvalidResidentId``."""
    number = raw.strip().replace(" ", "").upper()
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise InvalidResidentId(
            "resident_id_first_generation",
            "a 15-digit resident ID number of the first generation; give the 18-digit number",
            "这是 15 位的一代身份证号码,请填写 18 位号码",
        )
    if not _RESIDENT_ID.match(number):
        raise InvalidResidentId(
            "invalid_resident_id",
            "a resident ID number is 17 digits and a check digit or X",
            "身份证号码应为 17 位数字加 1 位校验码(数字或 X)",
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise InvalidResidentId(
            "resident_id_checksum",
            "the resident ID number's check digit is wrong: a digit was mistyped",
            "身份证号码校验位不符,请核对是否有输错的数字",
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > (today or date.today()):
        raise InvalidResidentId(
            "resident_id_birth_date",
            "the birth date in the resident ID number is impossible",
            "身份证号码中的出生日期不存在",
        )
    return ResidentId(number, born, "male" if int(number[16]) % 2 else "female")


def normalize_resident_id(raw: str) -> str:
    """A resident ID number (GB 11643) with a valid check digit and birth date."""
    try:
        return parse_resident_id(raw).number
    except InvalidResidentId as e:
        raise ValueError(f"not a valid resident ID number: {e}") from e


class InvalidPhone(InvalidValue):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__("invalid_phone", message, message_zh)


# Where parsing a national number for CN may strip a trunk prefix or carrier code (the
# metadata's national_prefix_for_parsing, ``(1(?:[12]\d|79)\d\d)|0``).
_CN_PARSING_PREFIXES = ("0", "11", "12", "179")


def _plain_mobile_shape(raw: str) -> bool:
    """Eleven ASCII digits from 1, none of which parsing changes: ``phonenumbers.parse(raw,
    "CN")`` is then +86 with ``int(raw)`` as its national number (checked against the
    library once for every 7-digit prefix, and by tests/test_identifiers_coords.py)."""
    return (
        len(raw) == 11
        and raw.isascii()
        and raw.isdigit()
        and raw[0] == "1"
        and not raw.startswith(_CN_PARSING_PREFIXES)
    )


def normalize_phone(raw: str) -> str:
    """A mainland mobile or fixed-line number as dialled at home (13912340001, 03511234567),
    checked against libphonenumber's numbering plan rather than a regex."""
    if _plain_mobile_shape(raw):
        # What parsing makes of it, without parsing (half the cost of the whole check).
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(raw))
    else:
        try:
            number = phonenumbers.parse(raw, "CN")
        except phonenumbers.NumberParseException as e:
            raise InvalidPhone("not a phone number", "不是电话号码") from e
    # For +86 (one region, CN) the library's validity test is its type being known: one
    # matching of the numbering plan rather than two, which a 200,000-person sheet pays.
    kind = phonenumbers.number_type(number) if number.country_code == 86 else None
    if kind in (None, PhoneNumberType.UNKNOWN):
        raise InvalidPhone(
            "not a valid mainland China mobile or fixed-line number",
            "不是有效的中国大陆手机或固定电话号码",
        )
    if kind == PhoneNumberType.MOBILE:
        # Dialled at home without the trunk prefix: the national format's digits, without
        # the formatting.
        return str(number.national_number)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise, not to call."""
    if not phone:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "****"


def mask_resident_id(number: str | None) -> str | None:
    """110105********002X: birthplace and last digits kept, birth date hidden."""
    if not number:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str | None) -> str | None:
    """张*明 / 王*: the family name and, for long names, the last character."""
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# How the names of organisations end (公司, 合作社, 委员会 …): a payee, a company or a
# counterpart so named is not a person. A one-character ending (店, 站, 社 …) counts only on
# a name longer than a person's (2–4 characters), and a transliterated name (买买提·艾力) is
# a person's whatever it ends with.
_ORGANISATION_ENDINGS = (
    "公司", "合作社", "联合社", "委员会", "政府", "办事处", "中心", "超市", "商行", "经营部",
    "服务部", "门市部", "事务所", "协会", "商会", "集团", "银行", "信用社", "学校", "学院",
    "大学", "医院", "研究所", "研究院", "基地", "农场", "林场", "牧场", "工作室", "分公司",
)  # fmt: skip
_ORGANISATION_LETTERS = (
    "店",
    "站",
    "社",
    "局",
    "所",
    "院",
    "部",
    "会",
    "行",
    "处",
    "馆",
    "厂",
    "场",
)
_LATIN_ORGANISATION = re.compile(r"\b(co|corp|company|inc|ltd|llc|limited|bank)\b\.?", re.I)


def names_organisation(name: str) -> bool:
    """Whether a name (a payee's) is an organisation's rather than a person's; when in doubt,
    a person's: masking a company's name costs nothing, showing a person's is a leak."""
    name = name.strip()
    if "·" in name or "•" in name:
        return False
    if name.endswith(_ORGANISATION_ENDINGS) or _LATIN_ORGANISATION.search(name):
        return True
    return len(name) > 4 and name.endswith(_ORGANISATION_LETTERS)
