"""Rules of policy targets (docs/adr/0041-programme-targets-and-statistics.md).

- A target names an indicator of the shared vocabulary (``common.indicators``) and is
  written in that indicator's unit: a share (percent) lies in 0–100, a growth is above
  −100 %, counts of stations, persons and people-times are whole numbers.
- Presets (the seed policy documents) are read-only; officials create and change their own
  sets inside their division, and a county adopts sets whose region holds it.
- Every write records a change event in the same transaction.
"""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.authz import require_division_writer
from common.bulkwrite import Database
from common.changefeed import record_change
from common.errors import Conflict, NotFound, Problem, Unprocessable, all_problems
from common.etag import check_if_match
from common.identifiers import division_prefix
from common.indicators import VOCABULARY, IndicatorCode, IndicatorKind, IndicatorUnit
from common.pagination import PageParams
from services.programme.changes.models import ProgrammeChangeEvent
from services.programme.divisions import REGION, checked_division
from services.programme.targets import repository
from services.programme.targets.models import (
    Comparator,
    PolicyTarget,
    TargetAdoption,
    TargetPeriod,
    TargetSet,
)
from services.programme.targets.schemas import (
    AdoptionOut,
    CountyTargets,
    TargetIn,
    TargetOut,
    TargetSetCreate,
    TargetSetOut,
    TargetSetPatch,
)

_WHOLE_UNITS = frozenset({IndicatorUnit.COUNT, IndicatorUnit.PERSONS, IndicatorUnit.PEOPLE_TIMES})


# --- validation ----------------------------------------------------------------------


def _target_problem(index: int, target: TargetIn) -> Problem | None:
    where = f"targets[{index}]"
    try:
        definition = VOCABULARY[IndicatorCode(target.indicator)]
    except ValueError:
        return Unprocessable(
            f"{where}.indicator: unknown indicator {target.indicator!r}; see GET /v1/indicators",
            detail_zh=f"{where}.indicator:未知的指标代码 {target.indicator!r}",
            code="unknown_indicator",
            field=f"{where}.indicator",
        )
    unit = definition.unit
    if target.unit is not None and target.unit is not unit:
        return Unprocessable(
            f"{where}.unit: {definition.code} is measured in {unit}, not {target.unit}",
            detail_zh=f"{where}.unit:指标 {definition.name_zh} 的单位是 {unit},不是 {target.unit}",
            code="unit_mismatch",
            field=f"{where}.unit",
        )
    value = target.value
    if unit is IndicatorUnit.PERCENT and not Decimal(0) <= value <= Decimal(100):
        return Unprocessable(
            f"{where}.value: {definition.code} is a share; {value} % is not between 0 and 100",
            detail_zh=f"{where}.value:{definition.name_zh} 是比例,{value}% 不在 0 到 100 之间",
            code="percent_out_of_range",
            field=f"{where}.value",
        )
    if unit is IndicatorUnit.GROWTH_PERCENT and value <= Decimal(-100):
        return Unprocessable(
            f"{where}.value: a growth of {value} % would be less than nothing",
            detail_zh=f"{where}.value:增长率 {value}% 不能小于或等于 -100%",
            code="growth_out_of_range",
            field=f"{where}.value",
        )
    if unit is not IndicatorUnit.GROWTH_PERCENT and value < 0:
        return Unprocessable(
            f"{where}.value: {definition.code} cannot be negative",
            detail_zh=f"{where}.value:{definition.name_zh} 不能为负数",
            code="negative_target",
            field=f"{where}.value",
        )
    if unit in _WHOLE_UNITS and value != value.to_integral_value():
        return Unprocessable(
            f"{where}.value: {definition.code} counts {unit}; {value} is not a whole number",
            detail_zh=f"{where}.value:{definition.name_zh} 应为整数",
            code="not_whole_number",
            field=f"{where}.value",
        )
    if target.period is not None and definition.kind is not IndicatorKind.FLOW:
        return Unprocessable(
            f"{where}.period: {definition.code} is a {definition.kind} figure, not counted per "
            "period",
            detail_zh=f"{where}.period:{definition.name_zh} 不是按期累计的指标,不能按年设定",
            code="period_not_applicable",
            field=f"{where}.period",
        )
    return None


def _targets(targets: Sequence[TargetIn]) -> list[PolicyTarget]:
    """The rows of a set's targets, or every problem of them at once."""
    problems = [p for i, t in enumerate(targets) if (p := _target_problem(i, t)) is not None]
    problem = all_problems(
        problems,
        code="invalid_targets",
        detail=f"{len(problems)} targets are invalid",
        detail_zh=f"{len(problems)} 项目标有误",
    )
    if problem is not None:
        raise problem
    return [
        PolicyTarget(
            indicator=t.indicator,
            comparator=t.comparator.value,
            value=t.value,
            unit=VOCABULARY[IndicatorCode(t.indicator)].unit.value,
            deadline=t.deadline,
            period=t.period.value if t.period else None,
            clause=t.clause,
        )
        for t in targets
    ]


# --- presentation ----------------------------------------------------------------------


def target_out(target: PolicyTarget) -> TargetOut:
    definition = VOCABULARY[IndicatorCode(target.indicator)]
    return TargetOut(
        indicator=target.indicator,
        indicator_name_zh=definition.name_zh,
        comparator=Comparator(target.comparator),
        value=target.value,
        unit=IndicatorUnit(target.unit),
        deadline=target.deadline,
        period=TargetPeriod(target.period) if target.period else None,
        clause=target.clause,
    )


def set_out(target_set: TargetSet, targets: Sequence[PolicyTarget]) -> TargetSetOut:
    return TargetSetOut(
        code=target_set.code,
        title=target_set.title,
        issuer=target_set.issuer,
        document_number=target_set.document_number,
        year=target_set.year,
        region_code=target_set.region_code,
        preset=target_set.preset,
        targets=[target_out(t) for t in targets],
        version=target_set.version,
        created_at=target_set.created_at,
        updated_at=target_set.updated_at,
    )


def _feed_payload(target_set: TargetSet, targets: Sequence[PolicyTarget]) -> dict[str, object]:
    return set_out(target_set, targets).model_dump(mode="json")


# --- target sets -------------------------------------------------------------------------


async def read_set(session: AsyncSession, code: str) -> TargetSetOut:
    target_set = await repository.set_by_code(session, code)
    if target_set is None:
        raise _set_not_found(code)
    targets = await repository.targets_of(session, [target_set.id])
    return set_out(target_set, targets[target_set.id])


def _set_not_found(code: str, *, field: str | None = None) -> Problem:
    if field is not None:
        return Unprocessable(
            f"no target set {code!r}",
            detail_zh=f"没有目标集 {code!r}",
            code="unknown_target_set",
            field=field,
        )
    return NotFound(
        f"no target set {code!r}", detail_zh=f"没有目标集 {code!r}", code="target_set_not_found"
    )


async def list_sets(
    session: AsyncSession,
    params: PageParams,
    *,
    applies_to: str | None,
    under: str | None,
    preset: bool | None,
) -> tuple[Sequence[TargetSet], list[TargetSetOut]]:
    rows = await repository.list_sets(
        session, params, applies_to=applies_to, under=under, preset=preset
    )
    shown = rows[: params.limit]
    targets = await repository.targets_of(session, [r.id for r in shown])
    return rows, [set_out(r, targets[r.id]) for r in shown]


async def create_set(
    session: AsyncSession, body: TargetSetCreate, principal: Principal
) -> TargetSetOut:
    require_division_writer(
        principal, body.region_code, doing="set policy targets", doing_zh="设定政策目标"
    )
    await checked_division(session, body.region_code, REGION, field="region_code")
    targets = _targets(body.targets)
    if await repository.set_by_code(session, body.code) is not None:
        raise Conflict(
            f"a target set {body.code!r} exists already; choose another code",
            detail_zh=f"目标集代码 {body.code!r} 已被使用",
            code="target_set_exists",
            field="code",
        )
    target_set = TargetSet(
        code=body.code,
        title=body.title,
        issuer=body.issuer,
        document_number=body.document_number,
        year=body.year,
        region_code=body.region_code,
        region_prefix=division_prefix(body.region_code),
        preset=False,
        version=1,
        created_by=principal.subject,
    )
    session.add(target_set)
    await session.flush()
    await repository.replace_targets(session, target_set, targets)
    await session.refresh(target_set)
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="target_set",
        key=target_set.code,
        action="created",
        version=target_set.version,
        payload=_feed_payload(target_set, targets),
    )
    return set_out(target_set, targets)


async def update_set(
    session: AsyncSession,
    code: str,
    patch: TargetSetPatch,
    principal: Principal,
    if_match: str | None,
) -> TargetSetOut:
    target_set = await repository.set_by_code(session, code, for_update=True)
    if target_set is None:
        raise _set_not_found(code)
    require_division_writer(
        principal, target_set.region_code, doing="set policy targets", doing_zh="设定政策目标"
    )
    if target_set.preset:
        raise Conflict(
            f"{code} is a preset from a policy document and cannot be changed; create a set of "
            "your own",
            detail_zh=f"{code} 是政策文件预置的目标集,不能修改;请新建自己的目标集",
            code="preset_read_only",
        )
    check_if_match(if_match, target_set.version)
    for name in ("title", "issuer", "document_number", "year"):
        if name in patch.model_fields_set:
            value = getattr(patch, name)
            if value is None and name != "document_number":
                raise Unprocessable(
                    f"{name} cannot be removed",
                    detail_zh=f"{name} 不能为空",
                    code="required_field",
                    field=name,
                )
            setattr(target_set, name, value)
    if patch.targets is not None:
        targets = _targets(patch.targets)
        await repository.replace_targets(session, target_set, targets)
    target_set.version += 1
    await session.flush()
    await session.refresh(target_set)
    current = (await repository.targets_of(session, [target_set.id]))[target_set.id]
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="target_set",
        key=target_set.code,
        action="updated",
        version=target_set.version,
        payload=_feed_payload(target_set, current),
    )
    return set_out(target_set, current)


# --- adoptions -------------------------------------------------------------------------


def _adoption_out(adoption: TargetAdoption, target_set_out: TargetSetOut) -> AdoptionOut:
    return AdoptionOut(
        county_code=adoption.county_code,
        target_set=target_set_out,
        adopted_by=adoption.changed_by,
        adopted_at=adoption.changed_at,
    )


async def county_targets(db: Database, county_code: str) -> CountyTargets:
    adopted = await repository.adoptions_of(db, county_code)
    return CountyTargets(
        county_code=county_code,
        adoptions=[_adoption_out(a, set_out(s, targets)) for a, s, targets in adopted],
    )


def _adoption_event(session: AsyncSession, adoption: TargetAdoption, target_set: TargetSet) -> None:
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="adoption",
        key=f"{adoption.county_code}:{target_set.code}",
        action="adopted" if adoption.active else "withdrawn",
        version=adoption.version,
        payload={
            "county_code": adoption.county_code,
            "target_set": target_set.code,
            "active": adoption.active,
        },
    )


def _authorize_adoption(principal: Principal, county_code: str) -> None:
    require_division_writer(
        principal, county_code, doing="adopt policy targets", doing_zh="采用政策目标"
    )


async def adopt(
    session: AsyncSession, county_code: str, set_code: str, principal: Principal
) -> tuple[AdoptionOut, bool]:
    """The adoption, and whether it is new (adopting twice changes nothing)."""
    _authorize_adoption(principal, county_code)
    target_set = await repository.set_by_code(session, set_code)
    if target_set is None:
        raise _set_not_found(set_code)
    if not county_code.startswith(target_set.region_prefix):
        raise Unprocessable(
            f"{set_code} applies to {target_set.region_code}, which does not hold county "
            f"{county_code}",
            detail_zh=f"目标集 {set_code} 适用于 {target_set.region_code},不包括 {county_code}",
            code="target_set_not_applicable",
            field="set_code",
            location="path",
            region_code=target_set.region_code,
        )
    adoption = await repository.adoption(session, county_code, target_set.id)
    created = adoption is None or not adoption.active
    if adoption is None:
        adoption = TargetAdoption(
            county_code=county_code,
            target_set_id=target_set.id,
            active=True,
            version=1,
            changed_by=principal.subject,
        )
        session.add(adoption)
    elif not adoption.active:
        adoption.active = True
        adoption.version += 1
        adoption.changed_by = principal.subject
    if created:
        await session.flush()
        await session.refresh(adoption)
        _adoption_event(session, adoption, target_set)
    targets = await repository.targets_of(session, [target_set.id])
    return _adoption_out(adoption, set_out(target_set, targets[target_set.id])), created


async def withdraw(
    session: AsyncSession, county_code: str, set_code: str, principal: Principal
) -> None:
    _authorize_adoption(principal, county_code)
    target_set = await repository.set_by_code(session, set_code)
    adoption = None
    if target_set is not None:
        adoption = await repository.adoption(session, county_code, target_set.id)
    if target_set is None or adoption is None or not adoption.active:
        raise NotFound(
            f"county {county_code} has not adopted {set_code!r}",
            detail_zh=f"{county_code} 未采用目标集 {set_code!r}",
            code="adoption_not_found",
        )
    adoption.active = False
    adoption.version += 1
    adoption.changed_by = principal.subject
    await session.flush()
    _adoption_event(session, adoption, target_set)
