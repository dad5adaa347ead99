"""A document's canonical JSON is ``rfc8785``'s, byte for byte, whichever encoder writes it
(``gateway.reports.documents.canonical``): generated content of every kind the two could
disagree on, and the values at each edge of the fast path."""

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.reports.documents.canonical import _agreeable, dumps

# Text from the whole of Unicode (control characters, U+E000–U+FFFF and astral ones, whose
# UTF-16 order differs from code-point order), surrogates included.
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=8)
NUMBERS = (
    st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e17, max_value=1e17).map(lambda f: math.floor(f))
    | st.decimals(places=2, min_value=-1000, max_value=1000, allow_nan=False).map(float)
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
CONTENT = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def _rfc8785(value: object) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as e:
        return type(e)


def _ours(value: object) -> bytes | type[Exception]:
    try:
        return dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as e:
        return type(e)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(CONTENT)
def test_generated_content_is_written_as_rfc8785_writes_it(value: object) -> None:
    assert _ours(value) == _rfc8785(value)


@pytest.mark.parametrize(
    "value",
    [
        0.0, -0.0, 100.0, -100.0, 1e-4, -1e-4, 9.99e-5, 0.5, 12.345, 1e15 + 0.5, 1e16, 1.5e16,
        2.0**53 - 1, 2.0**53, 2.0**53 + 2, 1e21, 1e22, 5e-324, math.inf, math.nan,
        2**53 - 1, 2**53, -(2**53 - 1), -(2**53), True, False, None,
        "", "\x00\x1f\x7f\"\\\b\f\n\r\t\u2028", "王*甲", "\ud800", "\U0001f600",
        {"\ue000": 1, "\U0001f600": 2}, {"b": 1, "a": [1.0, {"d": None, "c": "x"}]},
        {1: "a"}, (1, 2.0), [], {},
    ],
)  # fmt: skip
def test_each_edge_is_written_as_rfc8785_writes_it(value: object) -> None:
    assert _ours(value) == _rfc8785(value)


def test_a_documents_content_takes_the_fast_path() -> None:
    """What a document holds (Chinese labels, counts, amounts as strings, rates as floats,
    an integral rate, empty parts) is written by the standard encoder, not handed on."""
    content = {
        "division": {"code": "370982", "name": "新泰市", "level": "county"},
        "network": {"stations": 812, "rate": 97.53, "whole": 100.0, "none": 0.0},
        "programme": {"allocated": {"central": "1200000.00", "total": "1500000.00"}},
        "targets": [{"indicator": "village_coverage", "gap": -2.47, "status_zh": "落后"}],
        "months": [],
        "notes": None,
        "complete": True,
    }
    assert _agreeable(content)["network"]["whole"] == 100
    assert dumps(content) == rfc8785.dumps(content)
