"""Months, dates, amounts and counts as people write them in spreadsheets.

County and township staff keep their figures in Excel on Chinese Windows, and a CSV saved
from there carries the cell as displayed: a month is ``2026/8/1`` (a date cell), ``202608``
(a number cell), ``2026年8月`` (Chinese date format) or ``2026-08``; an amount is
``1,234.50`` (thousands separators) and sometimes ``１２３４.５`` (full-width digits from a
Chinese input method). These parsers take those forms, and only forms that cannot mean two
things: ``1,23`` (a European decimal comma?) or ``8/2026`` are refused rather than guessed.

Each parser raises ``InvalidValue`` (a ``ValueError`` with a code and a Chinese message), so
in a pydantic model it reports ``invalid_month``, ``invalid_amount`` … in both languages. The
``…Cell`` annotations are the pydantic field types: they take text in any of these forms,
and JSON numbers as they are.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated

from pydantic import BeforeValidator

from common.errors import InvalidValue, text_validator

MIN_YEAR = 1900

# After ``normalize_text``, so full-width digits and separators are ASCII; [0-9], never \d
# (which takes any script's digits).
_YMD = re.compile(
    r"""^(?P<y>[0-9]{4})\s*(?:
        (?P<sep>[-/.])\s*(?P<m>[0-9]{1,2})(?:\s*(?P=sep)\s*(?P<d>[0-9]{1,2}))?  # 2026-08, 2026/8/1
      | 年\s*(?P<zm>[0-9]{1,2})\s*月(?:\s*(?P<zd>[0-9]{1,2})\s*[日号])?           # 2026年8月(1日)
      | (?P<cm>[0-9]{2})(?P<cd>[0-9]{2})?                                      # 202608, 20260801
    )$""",
    re.VERBOSE,
)
# A date cell that also holds a time of day, as Excel writes "2026/8/1 0:00".
_TIME_OF_DAY = re.compile(r"\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?$")
_AMOUNT = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$")
_COUNT = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)$")


class AmbiguousMonth(ValueError):
    pass


# Full-width forms (U+FF01–U+FF5E: digits, letters, punctuation of a Chinese input method) and
# the ideographic space, as their ASCII counterparts. Deliberately not NFKC, which also turns
# ² or ① into digits: a cell holding those was not meant as a number.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20, 0xFFE5: 0xA5}


def normalize_text(raw: str) -> str:
    """Full-width characters as ASCII (１２３４．５ → 1234.5, （元） → (元)), trimmed."""
    text = raw.strip()
    return text if text.isascii() else text.translate(_FULL_WIDTH).strip()


def _calendar(raw: str, *, day_required: bool) -> tuple[int, int, int | None]:
    text = _TIME_OF_DAY.sub("", normalize_text(raw))
    match = _YMD.match(text)
    if match is None:
        raise ValueError(raw)
    parts = match.groupdict()
    year = int(parts["y"])
    month = int(parts["m"] or parts["zm"] or parts["cm"])
    day_text = parts["d"] or parts["zd"] or parts["cd"]
    day = int(day_text) if day_text else None
    if year < MIN_YEAR or not 1 <= month <= 12 or (day_required and day is None):
        raise ValueError(raw)
    if parts["sep"] == "." and parts["m"] == "1" and day is None:
        # A number cell typed as 2026.10 is kept as 2026.1: January or October?
        raise AmbiguousMonth(raw)
    if day is not None:
        date(year, month, day)  # ValueError for 2026/2/30
    return year, month, day


# A sheet repeats a handful of dates over thousands of rows: parsing each once (the dates are
# immutable; a refusal is not cached and is raised again) saves most of a bulk row's parsing.
@lru_cache(maxsize=4096)
def parse_month(raw: str) -> date:
    """A month (as its first day) from ``2026-08``, ``2026-8``, ``2026/8``, ``2026/8/1``,
    ``2026.08``, ``202608``, ``20260801``, ``2026年8月``, ``2026年8月1日``, full-width or not.
    A full date stands for its month (Excel stores a month as a date)."""
    try:
        year, month, _ = _calendar(raw, day_required=False)
    except AmbiguousMonth:
        raise InvalidValue(
            "ambiguous_month",
            f"{raw!r} may be January or October (a spreadsheet keeps 2026.10 as 2026.1); "
            "write 2026-01 or 2026-10",
            f"{raw!r} 可能是 1 月也可能是 10 月(表格会把 2026.10 存成 2026.1),"
            "请写作 2026-01 或 2026-10",
        ) from None
    except ValueError:
        raise InvalidValue(
            "invalid_month",
            f"{raw!r} is not a month; write it like 2026-08 (2026/8/1, 202608 and 2026年8月 "
            "are understood too)",
            f"{raw!r} 不是有效的月份,请写作 2026-08(也可写 2026/8/1、202608、2026年8月)",
        ) from None
    return date(year, month, 1)


@lru_cache(maxsize=4096)
def parse_date(raw: str) -> date:
    """A day from ``2026-08-01``, ``2026/8/1``, ``20260801``, ``2026年8月1日`` …"""
    try:
        year, month, day = _calendar(raw, day_required=True)
    except ValueError:
        raise InvalidValue(
            "invalid_date",
            f"{raw!r} is not a date; write it like 2026-08-01 (2026/8/1, 20260801 and "
            "2026年8月1日 are understood too)",
            f"{raw!r} 不是有效的日期,请写作 2026-08-01(也可写 2026/8/1、20260801、2026年8月1日)",
        ) from None
    assert day is not None
    return date(year, month, day)


def parse_amount(raw: str) -> Decimal:
    """An amount of yuan from ``1234.5``, ``1,234.50``, ``¥1,234.50``, ``1234.50元`` or the
    full-width forms. The number of decimals is the caller's rule."""
    text = normalize_text(raw).removeprefix("¥").removesuffix("元").strip()
    if _AMOUNT.match(text):
        try:
            return Decimal(text.replace(",", ""))
        except InvalidOperation:
            pass
    raise InvalidValue(
        "invalid_amount",
        f"{raw!r} is not an amount; write it like 1234.50 (1,234.50 is understood too)",
        f"{raw!r} 不是有效的金额,请写作 1234.50(也可写 1,234.50)",
    )


def parse_count(raw: str) -> int:
    """A whole number from ``1260``, ``1,260`` or the full-width forms."""
    if raw.isdigit() and raw.isascii():
        return int(raw)  # the usual cell, without the regular expression
    text = normalize_text(raw)
    if not _COUNT.match(text):
        raise InvalidValue(
            "invalid_count",
            f"{raw!r} is not a whole number; write it like 1260 (1,260 is understood too)",
            f"{raw!r} 不是有效的整数,请写作 1260(也可写 1,260)",
        )
    return int(text.replace(",", ""))


MonthCell = Annotated[date, BeforeValidator(text_validator(parse_month))]
"""A month (its first day) from any form ``parse_month`` takes; a JSON date too."""
DateCell = Annotated[date, BeforeValidator(text_validator(parse_date))]
AmountCell = Annotated[Decimal, BeforeValidator(text_validator(parse_amount))]
"""Yuan; add ``Field(max_digits=…, decimal_places=2)`` and the caller's own range."""
CountCell = Annotated[int, BeforeValidator(text_validator(parse_count))]
