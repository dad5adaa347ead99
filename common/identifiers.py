"""Chinese identifiers: NBS statistical division codes, mobile numbers, unified social credit
codes (GB 32100) and resident ID numbers (GB 11643), with the masks we show them under.

The checksum algorithms come from python-stdnum (``stdnum.cn.uscc``, ``stdnum.cn.ric``).
"""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

import phonenumbers
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError


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
_CODE = re.compile(r"^[0-9]{12}$")  # ASCII only: \d would take full-width digits


class InvalidDivisionCode(ValueError):
    pass


def normalize_division_code(raw: str) -> str:
    """A 12-digit code from a full code or a short one (2, 4, 6, 9 digits, zero-padded)."""
    code = raw.strip()
    if len(code) in (2, 4, 6, 9) and code.isascii() and code.isdigit():
        code = code.ljust(12, "0")
    if not _CODE.match(code):
        raise InvalidDivisionCode(f"{raw!r} is not a 12-digit statistical division code")
    if code[:2] == "00":
        raise InvalidDivisionCode(f"{raw!r} has no province")
    return code


def division_level(code: str) -> DivisionLevel:
    if code[9:] != "000":
        level = DivisionLevel.VILLAGE
    elif code[6:9] != "000":
        level = DivisionLevel.TOWNSHIP
    elif code[4:6] != "00":
        level = DivisionLevel.COUNTY
    elif code[2:4] != "00":
        level = DivisionLevel.PREFECTURE
    else:
        level = DivisionLevel.PROVINCE
    # A village needs its township, a county its prefecture …: no holes in the hierarchy,
    # except the county digits: prefecture-level cities without counties (不设区的地级市:
    # 东莞 4419, 中山 4420, 儋州 4604) list their townships directly, e.g. 441900003000.
    if level is DivisionLevel.VILLAGE and code[6:9] == "000":
        raise InvalidDivisionCode(f"{code} skips a level")
    below_prefecture = level not in (DivisionLevel.PROVINCE, DivisionLevel.PREFECTURE)
    if below_prefecture and code[2:4] == "00":
        raise InvalidDivisionCode(f"{code} skips a level")
    return level


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
        raise ValueError("not a station code (12-digit division code, '-', two digits)")
    try:
        normalize_division_code(raw[:12])
        division_level(raw[:12])
    except InvalidDivisionCode as e:
        raise ValueError(f"not a station code: {e}") from e
    return raw


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(raw: str) -> str:
    """A mainland mobile number (11 digits starting 13–19), without +86, spaces or dashes."""
    phone = re.sub(r"[\s\-]", "", raw)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not _MOBILE.match(phone):
        raise ValueError("not a mainland mobile number (11 digits starting 13–19)")
    return phone


def normalize_credit_code(raw: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100) with a valid check character."""
    try:
        return str(uscc.validate(raw.strip().upper()))
    except ValidationError as e:
        raise ValueError(f"not a valid unified social credit code: {e}") from e


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


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """A mainland mobile or fixed-line number as dialled at home (13912340001, 03511234567),
    checked against libphonenumber's numbering plan rather than a regex."""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as e:
        raise InvalidPhone("not a phone number") from e
    if not phonenumbers.is_valid_number(number) or number.country_code != 86:
        raise InvalidPhone("not a valid mainland China mobile or fixed-line number")
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
