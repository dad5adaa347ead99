"""Months, dates, amounts and counts as Excel on Chinese Windows writes them (common.cells)."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from common.cells import (
    AmountCell,
    CountCell,
    MonthCell,
    parse_amount,
    parse_count,
    parse_date,
    parse_month,
)
from common.errors import InvalidValue, validation_errors

AUGUST = date(2026, 8, 1)


MONTHS = [
    "2026-08",
    "2026-8",
    "2026/8",
    "2026/8/1",  # a date cell
    "2026/8/31",
    "2026-08-01",
    "2026/8/1 0:00",  # a date cell with its time
    "2026.08",
    "202608",  # a number cell
    "20260801",
    "2026年8月",  # Chinese date format
    "2026年08月",
    "2026年 8 月",
    "2026年8月1日",
    "２０２６－０８",  # full-width, from a Chinese input method
    "２０２６年８月",
    " 2026-08 ",
]
NOT_MONTHS = [
    ("2026-13", "invalid_month"),
    ("2026-0", "invalid_month"),
    ("2026/2/30", "invalid_month"),  # no such day
    ("8/2026", "invalid_month"),  # month first: refused, not guessed
    ("26-08", "invalid_month"),
    ("1899-12", "invalid_month"),
    ("2026-08-01T00:00", "invalid_month"),
    ("2026-٠٨", "invalid_month"),  # Arabic-Indic digits are not ours to read
    ("August 2026", "invalid_month"),
    ("", "invalid_month"),
    ("2026.1", "ambiguous_month"),  # Excel keeps a typed 2026.10 as 2026.1
]


def test_months_as_excel_writes_them() -> None:
    assert {raw: parse_month(raw) for raw in MONTHS} == dict.fromkeys(MONTHS, AUGUST)
    for raw, code in NOT_MONTHS:
        with pytest.raises(InvalidValue) as caught:
            parse_month(raw)
        assert caught.value.code == code, raw
        assert caught.value.message_zh  # said in Chinese too


def test_dates() -> None:
    assert parse_date("2026/8/3") == date(2026, 8, 3)
    assert parse_date("2026年8月3日") == date(2026, 8, 3)
    assert parse_date("20260803") == date(2026, 8, 3)
    for raw in ("2026-08", "2026/2/29", "3/8/2026"):
        with pytest.raises(InvalidValue):
            parse_date(raw)


AMOUNTS = [
    ("1234.50", Decimal("1234.50")),
    ("1,234.50", Decimal("1234.50")),
    ("1,234,567", Decimal("1234567")),
    ("¥1,234.50", Decimal("1234.50")),
    ("￥1,234.50", Decimal("1234.50")),
    ("1234.50元", Decimal("1234.50")),
    ("１，２３４．５０", Decimal("1234.50")),
    ("-12.5", Decimal("-12.5")),  # the caller's rule refuses it, with its own code
    ("0", Decimal("0")),
]


def test_amounts() -> None:
    for raw, value in AMOUNTS:
        assert parse_amount(raw) == value, raw
    for raw in ["1,23", "12,34.5", "1.234,50", "1e5", "NaN", "", "12 元 5", "--1", "①"]:
        with pytest.raises(InvalidValue) as caught:
            parse_amount(raw)
        assert caught.value.code == "invalid_amount"


def test_counts() -> None:
    assert parse_count("1260") == 1260
    assert parse_count("1,260") == 1260
    assert parse_count("１２６０") == 1260
    for raw in ("12.0", "1,26", "twelve", "²", "٣"):
        with pytest.raises(InvalidValue):
            parse_count(raw)


class _Figures(BaseModel):
    month: MonthCell
    amount: AmountCell
    count: CountCell


def test_the_pydantic_types_take_text_and_json_values() -> None:
    parsed = _Figures.model_validate({"month": "2026年8月", "amount": "1,234.50", "count": "7"})
    assert (parsed.month, parsed.amount, parsed.count) == (AUGUST, Decimal("1234.50"), 7)
    parsed = _Figures.model_validate({"month": date(2026, 8, 9), "amount": 12.5, "count": 7})
    assert (parsed.month, parsed.amount, parsed.count) == (date(2026, 8, 9), Decimal("12.5"), 7)


def test_their_errors_carry_code_and_chinese() -> None:
    with pytest.raises(ValidationError) as caught:
        _Figures.model_validate({"month": "2026-13", "amount": "1,23", "count": "x"})
    errors = validation_errors(caught.value.errors(), location="body")
    assert [(e["field"], e["code"]) for e in errors] == [
        ("month", "invalid_month"),
        ("amount", "invalid_amount"),
        ("count", "invalid_count"),
    ]
    assert "不是有效的月份" in errors[0]["detail_zh"]
    assert "not a month" in errors[0]["detail"]
