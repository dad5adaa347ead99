"""Field types every service's request schemas share: division codes, mobile numbers, credit
codes, short texts and money, each refusing a bad value with its own error code
(``invalid_division_code``, ``invalid_phone``, ``invalid_credit_code``) so that a client
learns every bad field of a body in one 422 answer.

Money (yuan) is exact: ``Decimal`` with two places, stored as ``numeric(14,2)``, answered
as a JSON string ("42000.00") so no client loses a fen to binary floating point; a request
may send a string or a number.
"""

from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from common.errors import invalid, text_validator
from common.identifiers import (
    division_level,
    normalize_credit_code,
    normalize_division_code,
    normalize_mobile,
)


def _division_code(raw: str) -> str:
    code = normalize_division_code(raw)
    division_level(code)
    return code


DivisionCode = Annotated[
    str,
    BeforeValidator(text_validator(_division_code)),
    Field(
        description="12-digit statistical division code (a 6- or 9-digit prefix is padded)",
        examples=["141102100200"],
    ),
]
Phone = Annotated[
    str,
    BeforeValidator(text_validator(normalize_mobile)),
    Field(description="mainland mobile number; +86, spaces and dashes are dropped"),
]
CreditCode = Annotated[
    str,
    BeforeValidator(text_validator(normalize_credit_code)),
    Field(description="统一社会信用代码, 18 characters with a GB 32100 check character"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

# numeric(14,2): up to ¥999,999,999,999.99, more than any county programme.
MONEY_DIGITS = 14
MONEY_PLACES = 2
_FEN = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    """Amounts as stored: exactly two decimals, so 1234.5 is answered as "1234.50"."""
    return value.quantize(_FEN)


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise invalid("non_positive_amount", "must be more than ¥0", "金额必须大于 0 元")
    return value


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise invalid("negative_amount", "must not be negative", "金额不能为负数")
    return value


_MONEY_FIELD = Field(
    max_digits=MONEY_DIGITS,
    decimal_places=MONEY_PLACES,
    description="yuan with at most 2 decimals, sent as a string or a number, answered as a string",
    examples=["42000.00"],
)
Yuan = Annotated[Decimal, _MONEY_FIELD, AfterValidator(_not_negative), AfterValidator(_cents)]
PositiveYuan = Annotated[Decimal, _MONEY_FIELD, AfterValidator(_positive), AfterValidator(_cents)]


def format_yuan(amount: Decimal) -> str:
    """¥42,000 or ¥42,000.50: how a message shows an amount to a person."""
    text = f"{amount:,.2f}"
    return "¥" + (text[:-3] if text.endswith(".00") else text)


def _two_places(amount: Decimal) -> str:
    return str(amount.quantize(_FEN))


# An amount in an answer: always a string with two decimals ("0.00", "42000.00"), however
# it was summed.
Money = Annotated[
    Decimal,
    PlainSerializer(_two_places, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["42000.00"]}
    ),
]
