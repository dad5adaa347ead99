"""Subsidy policies as data, and what held sessions earn under them (ADR 0032).

- A policy (key) has versions; a version is never changed, an edit writes the next one. The
  current versions of two policies for the same region may not overlap in dates
  (``policy_overlap``).
- A session's rate comes from the current policy valid on its first day whose region holds
  its place (the most specific region wins), fixed when the session is held, or when a
  policy for it appears later. What was fixed stays: a later version applies to sessions
  held later.
- The first rule fitting the session's duration and provisions gives the rate: its amount
  plus each extra the session provides, per person (half days) or per person-day.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import Conflict, NotFound, Unprocessable
from common.etag import check_if_match
from common.identifiers import division_prefix
from services.training import authz, checks, divisions
from services.training.sessions.models import SessionSubsidy, TrainingSession
from services.training.subsidies import repository
from services.training.subsidies.models import SubsidyPolicy
from services.training.subsidies.schemas import (
    EXTRAS,
    PolicyCreate,
    PolicyIn,
    PolicyOut,
    SubsidyRule,
)

transaction_now = repository.transaction_now

# Presets from the seed documents (/work/shared/policies). Only Yeji's gives per-person
# training amounts; the others refer to other rules (Lishui) or cap a whole fund (Jinghong:
# the training system ≤ ¥2 M), which is the programme service's fund rule, not a rate.
PRESETS: dict[str, dict[str, Any]] = {
    "yeji-2017": {
        "name": "叶集区电子商务培训定额补助",
        "source": "六安市叶集区关于加快电子商务发展的意见 第17条(强化电商培训)",
        "region": "341504",
        "valid_from": date(2017, 1, 1),
        "valid_to": None,
        "min_age": None,
        "rules": [
            {
                # 培训时间在半天的,给予培训主体60元/人补助;安排就餐的,再给予30元/人补助;
                # 安排上机操作,再给予20元/人补助。
                "name": "半天培训",
                "duration_kinds": ["half_day"],
                "unit": "person",
                "amount": Decimal("60.00"),
                "extras": {"meals": Decimal("30.00"), "computer_practice": Decimal("20.00")},
            },
            {
                # 培训时间在1天以上(含1天)且安排食宿(含上机操作),给予培训主体200元/人/天补助。
                "name": "1天以上且安排食宿",
                "duration_kinds": ["one_day", "several_days"],
                "requires": ["meals", "lodging"],
                "unit": "person_day",
                "amount": Decimal("200.00"),
            },
        ],
    }
}


def policy_out(row: SubsidyPolicy, *, subjects: bool = True) -> PolicyOut:
    """``subjects``: whether to name who created it (never for the public, ADR 0009)."""
    return PolicyOut(
        key=row.key,
        version=row.version,
        current=row.current,
        name=row.name,
        source=row.source,
        region=row.region,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        min_age=row.min_age,
        rules=[SubsidyRule.model_validate(rule) for rule in row.rules],
        created_by=row.created_by if subjects else None,
        created_at=row.created_at,
    )


def policy_not_found(key: str) -> NotFound:
    return NotFound(
        f"no subsidy policy {key}",
        detail_zh=f"补助政策 {key} 不存在",
        code="policy_not_found",
        field="key",
        location="path",
    )


def region_prefix(raw: str, *, field: str = "region", location: str = "body") -> str:
    """The significant digits of a division given as a code or a prefix (34, 3415, 341504)."""
    return division_prefix(checks.division_code(raw, field, location=location))


def _region_code(prefix: str) -> str:
    return prefix.ljust(12, "0")


async def _checked(session: AsyncSession, principal: Principal, key: str, body: PolicyIn) -> str:
    region = region_prefix(body.region)
    authz.require_official(
        principal, _region_code(region), doing="set subsidy policies", doing_zh="设置补助政策"
    )
    await divisions.require(session, _region_code(region), divisions.REGION, "region")
    if body.valid_to is not None and body.valid_to < body.valid_from:
        raise Unprocessable(
            f"valid_to {body.valid_to} is before valid_from {body.valid_from}",
            detail_zh=f"失效日期 {body.valid_to} 早于生效日期 {body.valid_from}",
            code="ends_before_start",
            field="valid_to",
        )
    await repository.lock_region(session, region)
    other = await repository.overlapping(
        session, key=key, region=region, valid_from=body.valid_from, valid_to=body.valid_to
    )
    if other is not None:
        until = other.valid_to.isoformat() if other.valid_to else "open-ended"
        raise Conflict(
            f"policy {other.key} already covers region {region} from {other.valid_from} to "
            f"{until}; end it first (a new version with valid_to) or choose other dates",
            detail_zh=f"补助政策 {other.key} 已覆盖区域 {region}({other.valid_from} 至 "
            f"{other.valid_to or '长期'}),请先调整其有效期",
            code="policy_overlap",
            field="valid_from",
            overlapping_policy=other.key,
        )
    return region


def _row(
    principal: Principal, key: str, version: int, region: str, body: PolicyIn
) -> SubsidyPolicy:
    return SubsidyPolicy(
        key=key,
        version=version,
        current=True,
        name=body.name,
        source=body.source,
        region=region,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        min_age=body.min_age,
        rules=[rule.model_dump(mode="json") for rule in body.rules],
        created_by=principal.subject,
    )


async def create_policy(
    session: AsyncSession, principal: Principal, body: PolicyCreate
) -> SubsidyPolicy:
    region = await _checked(session, principal, body.key, body)
    if await repository.current(session, body.key) is not None:
        raise Conflict(
            f"policy {body.key} exists; send a new version with PUT",
            detail_zh=f"补助政策 {body.key} 已存在,请用 PUT 提交新版本",
            code="policy_exists",
            field="key",
        )
    row = _row(principal, body.key, 1, region, body)
    await repository.add(session, [row])
    await pin_unpinned(session, row)
    return row


async def adopt_preset(session: AsyncSession, principal: Principal, key: str) -> SubsidyPolicy:
    if key not in PRESETS:
        raise NotFound(
            f"no preset {key}; presets: {', '.join(PRESETS)}",
            detail_zh=f"没有预设政策 {key}",
            code="preset_not_found",
            field="key",
            location="path",
        )
    return await create_policy(session, principal, PolicyCreate(key=key, **PRESETS[key]))


async def new_version(
    session: AsyncSession, principal: Principal, key: str, body: PolicyIn, if_match: str | None
) -> SubsidyPolicy:
    previous = await repository.current(session, key)
    if previous is None:
        raise policy_not_found(key)
    authz.require_official(
        principal,
        _region_code(previous.region),
        doing="set subsidy policies",
        doing_zh="设置补助政策",
    )
    check_if_match(if_match, previous.version)
    region = await _checked(session, principal, key, body)
    previous.current = False
    await session.flush()
    row = _row(principal, key, previous.version + 1, region, body)
    await repository.add(session, [row])
    await pin_unpinned(session, row)
    return row


def rate_of(
    policy: SubsidyPolicy, row: TrainingSession
) -> tuple[str | None, str, Decimal, list[dict[str, str]]]:
    """(rule, unit, amount per unit, breakdown) the policy gives the session."""
    provided = {extra for extra in EXTRAS if getattr(row, extra)}
    for raw in policy.rules:
        rule = SubsidyRule.model_validate(raw)
        if row.duration_kind not in rule.duration_kinds or not set(rule.requires) <= provided:
            continue
        breakdown = [{"item": "base", "amount": str(rule.amount)}]
        amount = rule.amount
        for extra, value in rule.extras.items():
            if extra in provided:
                breakdown.append({"item": extra, "amount": str(value)})
                amount += value
        return rule.name, rule.unit, amount, breakdown
    return None, "person", Decimal("0.00"), []


async def pin_rate(session: AsyncSession, row: TrainingSession) -> SessionSubsidy | None:
    """Fix the rate of a held session under the policy valid on its first day, if any."""
    policy = await repository.applicable(session, row.division_code, row.starts_on)
    if policy is None:
        return None
    return await _pin(session, row, policy)


async def _pin(
    session: AsyncSession, row: TrainingSession, policy: SubsidyPolicy
) -> SessionSubsidy:
    rule, unit, amount, breakdown = rate_of(policy, row)
    ineligible = (
        await repository.under_age(session, row.id, row.starts_on, policy.min_age)
        if policy.min_age
        else []
    )
    rate = SessionSubsidy(
        session_id=row.id,
        policy_id=policy.id,
        rule=rule,
        unit=unit,
        unit_amount=amount,
        breakdown=breakdown,
        min_age=policy.min_age,
        ineligible_trainees=ineligible,
    )
    await repository.add(session, [rate])
    return rate


async def pin_unpinned(session: AsyncSession, policy: SubsidyPolicy) -> None:
    """Held sessions that had no policy when they were held get this one if it is theirs."""
    for row in await repository.held_without_rate(session, policy):
        applicable = await repository.applicable(session, row.division_code, row.starts_on)
        if applicable is not None and applicable.id == policy.id:
            await _pin(session, row, policy)


async def min_ages(session: AsyncSession, rows: Sequence[TrainingSession]) -> dict[int, int | None]:
    """Per session, the minimum age its subsidy policy sets: the fixed rate's when held,
    else the policy valid on its date (None: no minimum)."""
    return await repository.min_ages(session, [row.id for row in rows])


def check_period(first: date, last: date) -> None:
    if last < first:
        raise Unprocessable(
            f"to ({last}) is before from ({first})",
            detail_zh=f"结束日期 {last} 早于开始日期 {first}",
            code="ends_before_start",
            field="to",
            location="query",
        )


def division_query_prefix(raw: str | None) -> str:
    """The prefix of ``?division=``; the nation (every code) when absent."""
    if raw is None:
        return ""
    return region_prefix(raw, field="division", location="query")
