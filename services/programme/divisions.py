"""Division codes in the programme's paths and bodies: counties (demonstration counties,
statistics, adoptions) and the regions target sets and rule sets apply to."""

from typing import Annotated

from fastapi import Depends, Path

from common.errors import Unprocessable
from common.identifiers import (
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    normalize_division_code,
)


def county_problem(raw: str, *, field: str, location: str = "body") -> Unprocessable | None:
    """Why ``raw`` is not a county-level code (None when it is)."""
    try:
        code = normalize_division_code(raw)
        level = division_level(code)
    except InvalidDivisionCode as e:
        return Unprocessable(
            str(e),
            detail_zh=f"{raw!r} 不是有效的 12 位统计用区划代码",
            code="invalid_division_code",
            field=field,
            location=location,
        )
    if level is not DivisionLevel.COUNTY:
        return Unprocessable(
            f"{code} is a {level}-level code, not a county",
            detail_zh=f"{code} 不是县级区划代码",
            code="not_a_county",
            field=field,
            location=location,
        )
    return None


def parse_county(raw: str, *, field: str = "county_code", location: str = "path") -> str:
    """A county code (6 or 12 digits) as its 12-digit form; 422 otherwise."""
    problem = county_problem(raw, field=field, location=location)
    if problem is not None:
        raise problem
    return normalize_division_code(raw)


# ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread.
async def _county_path(
    county_code: Annotated[
        str,
        Path(
            max_length=12,
            description="county-level division code, 6 or 12 digits",
            examples=["141128"],
        ),
    ],
) -> str:
    return parse_county(county_code)


CountyPath = Annotated[str, Depends(_county_path)]
