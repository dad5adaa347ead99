"""Division codes of residences, session places and policy regions, judged against
training's copy of stations' division list (docs/adr/0020): one query per request, or per
upload however many rows it has."""

from collections.abc import Iterable

from common.bulkwrite import Database
from common.errors import Problem
from common.identifiers import DivisionLevel
from common.reference import DivisionRule, division_problem, divisions_by_code
from services.training.reference.models import TrainingDivision

RESIDENCE = DivisionRule(levels=(DivisionLevel.VILLAGE,), what="a residence", what_zh="居住地")
PLACE = DivisionRule(levels=tuple(DivisionLevel), what="a session's place", what_zh="培训地点")
REGION = DivisionRule(
    levels=(
        DivisionLevel.PROVINCE,
        DivisionLevel.PREFECTURE,
        DivisionLevel.COUNTY,
        DivisionLevel.TOWNSHIP,
    ),
    what="a policy's region",
    what_zh="政策适用地区",
)


async def lookup(db: Database, codes: Iterable[str]) -> dict[str, TrainingDivision]:
    return await divisions_by_code(db, TrainingDivision, codes)  # type: ignore[return-value]


def problem(
    known: dict[str, TrainingDivision],
    code: str,
    rule: DivisionRule,
    field: str,
    location: str = "body",
) -> Problem | None:
    return division_problem(code, known.get(code), rule, field=field, location=location)


async def require(
    db: Database, code: str, rule: DivisionRule, field: str, location: str = "body"
) -> TrainingDivision:
    """The division of a (well-formed, 12-digit) code if it is listed, current and fits."""
    known = await lookup(db, [code])
    found = problem(known, code, rule, field, location)
    if found is not None:
        raise found
    return known[code]
