"""Training indicators per county, prefecture, province or the nation for a period; the
village committees with nobody trained (ADR 0031)."""

from datetime import date
from decimal import Decimal

from common.bulkwrite import Database
from common.identifiers import DivisionLevel, division_prefix
from common.reference import DivisionRule
from services.training import checks, divisions
from services.training.indicators import repository
from services.training.indicators.schemas import (
    Counted,
    DivisionOut,
    OutcomeCounts,
    TrainingIndicators,
    VillagesTrained,
)
from services.training.subsidies.service import check_period

AREA = DivisionRule(
    levels=(
        DivisionLevel.PROVINCE,
        DivisionLevel.PREFECTURE,
        DivisionLevel.COUNTY,
        DivisionLevel.TOWNSHIP,
    ),
    what="an indicator's division",
    what_zh="统计区域",
)


async def resolve(db: Database, raw: str | None) -> tuple[str, DivisionOut | None]:
    """The code prefix of ``?division=`` (a listed, current division above village level),
    and the division; the nation (prefix '') when absent."""
    if raw is None:
        return "", None
    code = checks.division_code(raw, "division", location="query")
    found = await divisions.require(db, code, AREA, "division", location="query")
    return division_prefix(code), DivisionOut(code=found.code, name=found.name, level=found.level)


def _counted(raw: dict[str, list[int]]) -> dict[str, Counted]:
    return {k: Counted(people_times=v[0], persons=v[1]) for k, v in sorted(raw.items())}


async def training(
    db: Database, raw_division: str | None, first: date, last: date
) -> TrainingIndicators:
    check_period(first, last)
    prefix, division = await resolve(db, raw_division)
    row = await repository.indicators(db, prefix, first, last)
    committees = row.committees
    outcomes = row.outcomes
    return TrainingIndicators(
        division=division,
        period_from=first,
        period_to=last,
        people_times=row.people_times,
        person_days=row.person_days,
        persons=row.persons,
        poor_household_people_times=row.poor_people_times,
        poor_household_persons=row.poor_persons,
        by_level=_counted(row.by_level),
        by_category=_counted(row.by_category),
        villages_with_any_trained=row.villages_any,
        villages_with_trained_person=VillagesTrained(
            count=row.committees_trained,
            with_three_or_more=row.committees_three,
            of=committees,
            rate=round(row.committees_trained / committees, 6) if committees else None,
        ),
        trained_persons_per_village=(
            round(row.committee_persons / committees, 4) if committees else None
        ),
        outcomes=OutcomeCounts(
            online_shops=outcomes["online_shop"],
            station_operators=outcomes["station_operator"],
            employed=outcomes["employed"],
            businesses_started=outcomes["business_started"],
            online_sales_amount=Decimal(str(outcomes["sales"])).quantize(Decimal("0.01")),
        ),
        subsidies_due=row.subsidies_due,
    )
