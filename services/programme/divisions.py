"""Division codes in the programme's paths and bodies — counties (demonstration counties,
statistics, adoptions) and the regions target and fund rule sets apply to — judged against
programme's copy of stations' division list (docs/adr/0020), one query per request."""

from typing import Annotated

from fastapi import Depends, Path, Query

from common.auth import PrincipalDep
from common.authz import require_division_reader
from common.bulkwrite import Database
from common.db import SessionDep
from common.errors import Unprocessable
from common.identifiers import DivisionLevel, InvalidDivisionCode, normalize_division_code
from common.reference import DivisionRule, division_problem, divisions_by_code
from services.programme.reference.models import ProgrammeDivision

COUNTY = DivisionRule(levels=(DivisionLevel.COUNTY,), what="this record", what_zh="该记录")
REGION = DivisionRule(
    levels=(DivisionLevel.PROVINCE, DivisionLevel.PREFECTURE, DivisionLevel.COUNTY),
    what="a policy's region",
    what_zh="政策适用地区",
)


def normalized(raw: str, *, field: str, location: str = "body") -> str:
    """The 12-digit form of a code (6-digit county codes are padded); 422 otherwise."""
    try:
        return normalize_division_code(raw)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            str(e),
            detail_zh=f"{raw!r} 不是有效的 12 位统计用区划代码",
            code="invalid_division_code",
            field=field,
            location=location,
        ) from e


async def checked_division(
    db: Database,
    raw: str,
    rule: DivisionRule,
    *,
    field: str,
    location: str = "body",
) -> ProgrammeDivision:
    """The division of ``raw`` if it exists, is current and fits ``rule``: 422
    ``invalid_division_code``, ``unknown_division``, ``division_not_current``,
    ``wrong_division_level`` otherwise."""
    code = normalized(raw, field=field, location=location)
    found = (await divisions_by_code(db, ProgrammeDivision, [code])).get(code)
    problem = division_problem(code, found, rule, field=field, location=location)
    if problem is not None:
        raise problem
    assert found is not None
    return found


async def _county_path(
    session: SessionDep,
    county_code: Annotated[
        str,
        Path(
            max_length=12,
            description="county-level division code, 6 or 12 digits",
            examples=["141128"],
        ),
    ],
) -> str:
    division = await checked_division(
        session, county_code, COUNTY, field="county_code", location="path"
    )
    return division.code


CountyPath = Annotated[str, Depends(_county_path)]
# The division an indicator counts over (``division_prefix_of`` reads it).
DivisionQuery = Annotated[
    str | None,
    Query(
        max_length=12,
        description="county, prefecture or province code; the nation when absent",
        examples=["1411"],
    ),
]

READ = ("read this county's programme records", "查看该县的示范项目信息")


async def _readable_county(county_code: CountyPath, principal: PrincipalDep) -> str:
    """A county whose records the caller may read: not public records (ADR 0009), so
    officials and platforms over it, services and admins."""
    require_division_reader(principal, county_code, doing=READ[0], doing_zh=READ[1])
    return county_code


ReadableCounty = Annotated[str, Depends(_readable_county)]
_COUNTY_PROBLEMS = (
    "`invalid_division_code`, `unknown_division`, `division_not_current`, `wrong_division_level`"
)
COUNTY_PROBLEMS = f"{_COUNTY_PROBLEMS} (county_code)"
