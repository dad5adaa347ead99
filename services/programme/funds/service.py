"""Rules of fund rule sets (docs/adr/0043-fund-rules.md): presets from the seed documents
are read-only; officials write their own for a region inside their division. A county is
checked on one rule set: the one it names, or by default the most specific set whose region
holds it, of its batch year or the latest before."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.authz import require_division_writer
from common.errors import Conflict, NotFound, Problem, Unprocessable, all_problems
from common.etag import check_if_match
from common.identifiers import division_prefix
from common.pagination import PageParams, keyset
from services.programme.divisions import REGION, checked_division
from services.programme.funds.check import (
    Breach,
    RuleView,
    recheck_rule_set,
    run_check,
    stored_breaches,
)
from services.programme.funds.models import FundRule, FundRuleSet, RuleKind
from services.programme.funds.schemas import (
    BreachOut,
    CountyCheck,
    RuleIn,
    RuleOut,
    RuleSetCreate,
    RuleSetOut,
    RuleSetPatch,
)
from services.programme.ledger.models import DemonstrationCounty, FundUse, ProjectCategory

_PERCENT_KINDS = frozenset({RuleKind.SHARE_MIN, RuleKind.SHARE_MAX, RuleKind.INVESTMENT_SHARE_CAP})
_AMOUNT_KINDS = frozenset({RuleKind.CATEGORY_CAP, RuleKind.PROJECT_CAP, RuleKind.STATION_CAP})


def _rule_problem(index: int, rule: RuleIn) -> Problem | None:
    where = f"rules[{index}]"
    if rule.kind in _PERCENT_KINDS:
        if rule.percent is None:
            return Unprocessable(
                f"{where}.percent: a {rule.kind} rule needs a percent",
                detail_zh=f"{where}.percent:该规则须填写比例",
                code="percent_required",
                field=f"{where}.percent",
            )
        if not Decimal(0) <= rule.percent <= Decimal(100):
            return Unprocessable(
                f"{where}.percent: {rule.percent} % is not between 0 and 100",
                detail_zh=f"{where}.percent:{rule.percent}% 不在 0 到 100 之间",
                code="percent_out_of_range",
                field=f"{where}.percent",
            )
    if rule.kind in _AMOUNT_KINDS and rule.amount is None:
        return Unprocessable(
            f"{where}.amount: a {rule.kind} rule needs an amount",
            detail_zh=f"{where}.amount:该规则须填写金额上限",
            code="amount_required",
            field=f"{where}.amount",
        )
    if rule.kind is RuleKind.STATION_CAP and rule.station_tier is None:
        return Unprocessable(
            f"{where}.station_tier: say whether the cap is per township station or village point",
            detail_zh=f"{where}.station_tier:请说明是乡镇服务站还是村级服务点的上限",
            code="station_tier_required",
            field=f"{where}.station_tier",
        )
    if rule.kind is RuleKind.FORBIDDEN_USE and not rule.uses:
        return Unprocessable(
            f"{where}.uses: a forbidden_use rule names the uses it forbids",
            detail_zh=f"{where}.uses:请列出禁止的资金用途",
            code="uses_required",
            field=f"{where}.uses",
        )
    return None


def _rules(rules: Sequence[RuleIn]) -> list[FundRule]:
    problems = [p for i, r in enumerate(rules) if (p := _rule_problem(i, r)) is not None]
    problem = all_problems(
        problems,
        code="invalid_rules",
        detail=f"{len(problems)} rules are invalid",
        detail_zh=f"{len(problems)} 条规则有误",
    )
    if problem is not None:
        raise problem
    return [
        FundRule(
            position=position,
            kind=r.kind.value,
            categories=[c.value for c in r.categories],
            station_tier=r.station_tier if r.kind is RuleKind.STATION_CAP else None,
            amount=r.amount if r.kind in _AMOUNT_KINDS else None,
            percent=r.percent if r.kind in _PERCENT_KINDS else None,
            uses=[u.value for u in r.uses] if r.kind is RuleKind.FORBIDDEN_USE else [],
            clause=r.clause,
        )
        for position, r in enumerate(rules, start=1)
    ]


def rule_out(rule: FundRule | RuleView) -> RuleOut:
    return RuleOut(
        id=rule.id,
        kind=RuleKind(rule.kind),
        categories=[ProjectCategory(c) for c in rule.categories],
        station_tier=rule.station_tier,  # type: ignore[arg-type]
        amount=rule.amount,
        percent=rule.percent,
        uses=[FundUse(u) for u in rule.uses],
        clause=rule.clause,
    )


def set_out(rule_set: FundRuleSet, rules: Sequence[FundRule]) -> RuleSetOut:
    return RuleSetOut(
        code=rule_set.code,
        title=rule_set.title,
        issuer=rule_set.issuer,
        document_number=rule_set.document_number,
        year=rule_set.year,
        region_code=rule_set.region_code,
        preset=rule_set.preset,
        version=rule_set.version,
        created_at=rule_set.created_at,
        updated_at=rule_set.updated_at,
        rules=[rule_out(r) for r in rules],
    )


def breach_out(breach: Breach) -> BreachOut:
    return BreachOut(
        rule_set=breach.rule_set,
        rule=rule_out(breach.rule),
        basis=breach.basis,  # type: ignore[arg-type]
        subject_kind=breach.subject_kind,  # type: ignore[arg-type]
        subject=breach.subject,
        project=breach.project_code,
        figure=breach.figure,
        limit=breach.limit,
        message=breach.message,
        message_zh=breach.message_zh,
        detected_at=breach.detected_at,
    )


# --- rule sets -------------------------------------------------------------------------


async def _set(session: AsyncSession, code: str, *, for_update: bool = False) -> FundRuleSet:
    stmt = select(FundRuleSet).where(FundRuleSet.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(
            f"no fund rule set {code!r}",
            detail_zh=f"没有资金规则集 {code!r}",
            code="rule_set_not_found",
        )
    return row


async def rules_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[FundRule]]:
    by_set: dict[int, list[FundRule]] = {i: [] for i in ids}
    if ids:
        rows = await session.scalars(
            select(FundRule)
            .where(FundRule.rule_set_id.in_(ids))
            .order_by(FundRule.rule_set_id, FundRule.position)
        )
        for rule in rows:
            by_set[rule.rule_set_id].append(rule)
    return by_set


async def read_set(session: AsyncSession, code: str) -> RuleSetOut:
    row = await _set(session, code)
    return set_out(row, (await rules_of(session, [row.id]))[row.id])


async def list_sets(
    session: AsyncSession, params: PageParams, *, applies_to: str | None, preset: bool | None
) -> tuple[Sequence[FundRuleSet], list[RuleSetOut]]:
    stmt = select(FundRuleSet)
    if applies_to is not None:
        stmt = stmt.where(func.starts_with(applies_to, FundRuleSet.region_prefix))
    if preset is not None:
        stmt = stmt.where(FundRuleSet.preset.is_(preset))
    rows = (await session.scalars(keyset(stmt, [FundRuleSet.code], params))).all()
    shown = rows[: params.limit]
    rules = await rules_of(session, [r.id for r in shown])
    return rows, [set_out(r, rules[r.id]) for r in shown]


async def _replace_rules(
    session: AsyncSession, rule_set: FundRuleSet, rules: list[FundRule]
) -> None:
    for old in (await rules_of(session, [rule_set.id]))[rule_set.id]:
        await session.delete(old)
    await session.flush()
    for rule in rules:
        rule.rule_set_id = rule_set.id
        session.add(rule)
    await session.flush()


def _authorize(principal: Principal, region_code: str) -> None:
    require_division_writer(principal, region_code, doing="set fund rules", doing_zh="制定资金规则")


async def create_set(
    session: AsyncSession, body: RuleSetCreate, principal: Principal
) -> RuleSetOut:
    _authorize(principal, body.region_code)
    await checked_division(session, body.region_code, REGION, field="region_code")
    rules = _rules(body.rules)
    exists = await session.scalar(select(FundRuleSet.id).where(FundRuleSet.code == body.code))
    if exists is not None:
        raise Conflict(
            f"a fund rule set {body.code!r} exists already; choose another code",
            detail_zh=f"资金规则集代码 {body.code!r} 已被使用",
            code="rule_set_exists",
            field="code",
        )
    row = FundRuleSet(
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
    session.add(row)
    await session.flush()
    await _replace_rules(session, row, rules)
    await session.refresh(row)
    return set_out(row, rules)


async def update_set(
    session: AsyncSession,
    code: str,
    patch: RuleSetPatch,
    principal: Principal,
    if_match: str | None,
) -> RuleSetOut:
    row = await _set(session, code, for_update=True)
    _authorize(principal, row.region_code)
    if row.preset:
        raise Conflict(
            f"{code} is a preset from a policy document and cannot be changed; create a set of "
            "your own",
            detail_zh=f"{code} 是政策文件预置的资金规则,不能修改;请新建自己的规则集",
            code="preset_read_only",
        )
    check_if_match(if_match, row.version)
    for name in ("title", "issuer", "year"):
        if name in patch.model_fields_set and getattr(patch, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed",
                detail_zh=f"{name} 不能为空",
                code="required_field",
                field=name,
            )
    for name in ("title", "issuer", "document_number", "year"):
        if name in patch.model_fields_set:
            setattr(row, name, getattr(patch, name))
    if patch.rules is not None:
        await _replace_rules(session, row, _rules(patch.rules))
        await recheck_rule_set(session, row.id)
    row.version += 1
    await session.flush()
    await session.refresh(row)
    return set_out(row, (await rules_of(session, [row.id]))[row.id])


async def rule_set_for(
    session: AsyncSession, county_code: str, batch_year: int, code: str | None, *, field: str
) -> int | None:
    """The rule set a county is checked on: the one named, else the default."""
    if code is not None:
        row = await session.scalar(select(FundRuleSet).where(FundRuleSet.code == code))
        if row is None:
            raise Unprocessable(
                f"no fund rule set {code!r}",
                detail_zh=f"没有资金规则集 {code!r}",
                code="unknown_rule_set",
                field=field,
            )
        if not county_code.startswith(row.region_prefix):
            raise Unprocessable(
                f"{code} applies to {row.region_code}, which does not hold county {county_code}",
                detail_zh=f"资金规则集 {code} 适用于 {row.region_code},不包括 {county_code}",
                code="rule_set_not_applicable",
                field=field,
                region_code=row.region_code,
            )
        return row.id
    return await session.scalar(
        select(FundRuleSet.id)
        .where(
            func.starts_with(county_code, FundRuleSet.region_prefix),
            FundRuleSet.year <= batch_year,
        )
        .order_by(
            func.length(FundRuleSet.region_prefix).desc(),
            FundRuleSet.year.desc(),
            FundRuleSet.preset.desc(),
            FundRuleSet.code,
        )
        .limit(1)
    )


# --- checks ----------------------------------------------------------------------------


async def check(session: AsyncSession, prefix: str) -> str:
    """Run the check now for every demonstration county under ``prefix``: the JSON text of
    ``FundCheck``, built by the database (``funds.check.CHECK``)."""
    return await run_check(session, prefix)


async def county_breaches(session: AsyncSession, county: DemonstrationCounty) -> CountyCheck:
    """The breaches the last change found (what the ledger shows between checks)."""
    code = None
    if county.fund_rule_set_id is not None:
        code = await session.scalar(
            select(FundRuleSet.code).where(FundRuleSet.id == county.fund_rule_set_id)
        )
    return CountyCheck(
        county_code=county.county_code,
        rule_set=code,
        breaches=[breach_out(b) for b in await stored_breaches(session, county.county_code)],
    )
