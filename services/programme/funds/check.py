"""The fund-rule check (docs/adr/0043-fund-rules.md): a county's plan and payments against
its rule set, in one SQL statement for one county or every demonstration county under a
division, never by pulling projects or payments into Python.

What is checked, always on central funds (中央财政资金), over projects not cancelled and
payments not cancelled:

- ``share_min`` / ``share_max``: the categories' planned budget as a share of the county's
  central funds (Shanxi 2017: upward flow ≥ 50 %, public service platforms ≤ 15 %);
- ``category_cap``: the categories' planned budget together (Jinghong: training ≤ ¥2 M);
- ``project_cap``: each project's budget (a warehouse ≤ ¥2 M);
- ``investment_share_cap``: each project's central budget against its total investment
  (a warehouse ≤ 50 % of its investment);
- ``station_cap``: each station's allocation across projects, and what was paid naming it
  (≤ ¥100,000 per township station, ≤ ¥30,000 per village point; Yeji ≤ ¥20,000);
- ``forbidden_use``: projects that plan central funds for a forbidden use, and payments of
  central funds made for one (trading platforms, buildings, working expenses, traffic …).

The check runs on every change of a county's ledger (``recheck_county``, in the change's
transaction: the stored breaches are always those of the committed ledger) and on demand
(``run_check``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.fields import format_yuan
from services.programme.funds.models import RuleKind
from services.programme.ledger.models import (
    CATEGORY_ZH,
    USE_ZH,
    FundUse,
    Project,
    ProjectCategory,
)

# Every breach of the demonstration counties whose code matches :prefix (LIKE), as rows of
# (county_code, rule_id, basis, subject_kind, subject, project_code, figure, limit).
CHECK_SQL = """
WITH county AS (
    SELECT county_code, central_funds, fund_rule_set_id
    FROM programme.demonstration_county
    WHERE county_code LIKE :prefix AND fund_rule_set_id IS NOT NULL
), rule AS (
    SELECT c.county_code, c.central_funds, r.id, r.kind, r.categories, r.station_tier,
           r.amount, r.percent, r.uses
    FROM county c JOIN programme.fund_rule r ON r.rule_set_id = c.fund_rule_set_id
), project AS (
    SELECT p.id, p.code, p.county_code, p.category, p.budget_central, p.uses,
           p.budget_central + p.budget_local + p.budget_social AS investment
    FROM programme.project p JOIN county c ON c.county_code = p.county_code
    WHERE p.status <> 'cancelled'
), ruled AS (
    SELECT r.county_code, r.id AS rule_id, r.kind, r.central_funds, r.amount, r.percent,
           r.uses, p.id AS project_id, p.code, p.budget_central, p.investment,
           p.uses AS project_uses
    FROM rule r JOIN project p ON p.county_code = r.county_code
        AND (cardinality(r.categories) = 0 OR p.category = ANY (r.categories))
    WHERE r.kind IN ('project_cap', 'investment_share_cap', 'forbidden_use')
), share AS (
    SELECT r.county_code, r.id AS rule_id, r.kind, r.central_funds, r.percent, r.amount,
           coalesce(sum(p.budget_central), 0) AS planned
    FROM rule r
    LEFT JOIN project p ON p.county_code = r.county_code
        AND (cardinality(r.categories) = 0 OR p.category = ANY (r.categories))
    WHERE r.kind IN ('share_min', 'share_max', 'category_cap')
    GROUP BY r.county_code, r.id, r.kind, r.central_funds, r.percent, r.amount
), forbidden_paid AS MATERIALIZED (
    -- From the few payments for a forbidden use, one index probe per (county, use) on
    -- ix_disbursement_central_use; not from every project's payments, as the planner
    -- would have it seeing one rule row, nor by county alone with `use = ANY (uses)`
    -- filtered afterwards (every central payment of the county read once per rule).
    -- (OFFSET 0 keeps the lateral probe from being flattened into a hash join).
    SELECT r.county_code, r.id AS rule_id, r.categories, d.voucher_number, d.project_id,
           d.amount
    FROM rule r
    CROSS JOIN LATERAL unnest(r.uses) AS u(use)
    CROSS JOIN LATERAL (
        SELECT d.voucher_number, d.project_id, d.amount
        FROM programme.disbursement d
        WHERE d.county_code = r.county_code AND d.use = u.use
            AND d.source = 'central' AND NOT d.cancelled
        OFFSET 0
    ) d
    WHERE r.kind = 'forbidden_use'
), station_paid AS (
    SELECT d.county_code, d.station_code, sum(d.amount) AS paid
    FROM programme.disbursement d JOIN county c ON c.county_code = d.county_code
    WHERE NOT d.cancelled AND d.source = 'central' AND d.station_code IS NOT NULL
    GROUP BY d.county_code, d.station_code
), station AS (
    -- What was paid naming a station is joined here, station to station (a hash join),
    -- not after the rules: estimated at one rule row, that join became a nested loop
    -- comparing every station with every station's payments (1.2 M pairs, seconds).
    SELECT a.county_code, a.station_code, a.tier, a.allocated, a.project_code, sp.paid
    FROM (
        SELECT p.county_code, s.station_code, s.tier, sum(s.allocation) AS allocated,
               min(p.code) AS project_code
        FROM project p JOIN programme.project_station s ON s.project_id = p.id
        GROUP BY p.county_code, s.station_code, s.tier
    ) a
    LEFT JOIN station_paid sp
        ON sp.county_code = a.county_code AND sp.station_code = a.station_code
)
SELECT county_code, rule_id, 'plan' AS basis, 'county' AS subject_kind,
       county_code::text AS subject, NULL::text AS project_code, planned AS figure,
       round(central_funds * percent / 100, 2) AS "limit"
FROM share
WHERE central_funds > 0 AND (
    (kind = 'share_min' AND planned < central_funds * percent / 100)
    OR (kind = 'share_max' AND planned > central_funds * percent / 100))
UNION ALL
SELECT county_code, rule_id, 'plan', 'county', county_code, NULL, planned, amount
FROM share WHERE kind = 'category_cap' AND planned > amount
UNION ALL
SELECT county_code, rule_id, 'plan', 'project', code, code, budget_central, amount
FROM ruled WHERE kind = 'project_cap' AND budget_central > amount
UNION ALL
SELECT county_code, rule_id, 'plan', 'project', code, code, budget_central,
       round(investment * percent / 100, 2)
FROM ruled WHERE kind = 'investment_share_cap' AND budget_central > investment * percent / 100
UNION ALL
SELECT county_code, rule_id, 'plan', 'project', code, code, budget_central, 0
FROM ruled WHERE kind = 'forbidden_use' AND budget_central > 0 AND project_uses && uses
UNION ALL
SELECT f.county_code, f.rule_id, 'paid', 'disbursement', f.voucher_number, p.code, f.amount,
       0
FROM forbidden_paid f
JOIN project p ON p.id = f.project_id
    AND (cardinality(f.categories) = 0 OR p.category = ANY (f.categories))
UNION ALL
SELECT r.county_code, r.id, 'plan', 'station', s.station_code, s.project_code, s.allocated,
       r.amount
FROM rule r JOIN station s ON s.county_code = r.county_code AND s.tier = r.station_tier
WHERE r.kind = 'station_cap' AND s.allocated > r.amount
UNION ALL
SELECT r.county_code, r.id, 'paid', 'station', s.station_code, s.project_code, s.paid,
       r.amount
FROM rule r JOIN station s ON s.county_code = r.county_code AND s.tier = r.station_tier
WHERE r.kind = 'station_cap' AND s.paid > r.amount
"""

_TIER = {"township": ("township station", "乡镇服务站"), "village": ("village point", "村级服务点")}


@dataclass(frozen=True)
class RuleView:
    """A rule as a breach names it: the columns of ``FundRule`` an answer shows."""

    id: int
    position: int
    kind: str
    categories: list[str]
    station_tier: str | None
    amount: Decimal | None
    percent: Decimal | None
    uses: list[str]
    clause: str | None


@dataclass(frozen=True)
class Breach:
    county_code: str
    rule: RuleView
    rule_set: str
    basis: str
    subject_kind: str
    subject: str
    project_code: str | None
    figure: Decimal
    limit: Decimal
    detected_at: datetime | None = None

    def _categories(self) -> tuple[str, str]:
        names = self.rule.categories or []
        if not names:
            return "all projects", "全部项目"
        return (
            ", ".join(n.replace("_", " ") for n in names),
            "、".join(CATEGORY_ZH[ProjectCategory(n)] for n in names),
        )

    def _uses(self) -> tuple[str, str]:
        uses = self.rule.uses or []
        return ", ".join(uses), "、".join(USE_ZH[FundUse(u)] for u in uses)

    @property
    def messages(self) -> tuple[str, str]:
        """What is wrong, in English and Chinese: the subject, the figure and the limit."""
        kind = RuleKind(self.rule.kind)
        figure, limit = format_yuan(self.figure), format_yuan(self.limit)
        cats, cats_zh = self._categories()
        if kind in (RuleKind.SHARE_MIN, RuleKind.SHARE_MAX):
            pct = self.rule.percent or Decimal(0)
            share = (self.figure / self.limit * pct).quantize(Decimal("0.01")) if self.limit else 0
            if kind is RuleKind.SHARE_MIN:
                return (
                    f"{cats}: {figure} = {share} % of central funds < {pct} % minimum ({limit})",
                    f"{cats_zh}:{figure},占中央财政资金 {share}%,低于 {pct}% 的下限({limit})",
                )
            return (
                f"{cats}: {figure} = {share} % of central funds > {pct} % maximum ({limit})",
                f"{cats_zh}:{figure},占中央财政资金 {share}%,超过 {pct}% 的上限({limit})",
            )
        if kind is RuleKind.CATEGORY_CAP:
            return (f"{cats}: {figure} > {limit} cap", f"{cats_zh}:{figure} 超过 {limit} 上限")
        if kind is RuleKind.PROJECT_CAP:
            return (
                f"project {self.subject}: {figure} > {limit} cap per project",
                f"项目 {self.subject}:{figure} 超过单个项目 {limit} 上限",
            )
        if kind is RuleKind.INVESTMENT_SHARE_CAP:
            return (
                f"project {self.subject}: central {figure} > {self.rule.percent} % of its "
                f"investment ({limit})",
                f"项目 {self.subject}:中央财政资金 {figure} 超过项目总投资的 "
                f"{self.rule.percent}%({limit})",
            )
        if kind is RuleKind.STATION_CAP:
            tier, tier_zh = _TIER.get(self.rule.station_tier or "", ("station", "站点"))
            paid = " paid" if self.basis == "paid" else ""
            paid_zh = "已拨付" if self.basis == "paid" else ""
            return (
                f"{tier} {self.subject}: {figure}{paid} > {limit} cap",
                f"{tier_zh} {self.subject}:{paid_zh}{figure} 超过 {limit} 上限",
            )
        uses, uses_zh = self._uses()
        if self.subject_kind == "disbursement":
            return (
                f"payment {self.subject} of project {self.project_code}: {figure} of central "
                f"funds for a forbidden use ({uses})",
                f"项目 {self.project_code} 的拨付 {self.subject}:{figure} 中央财政资金用于禁止用途"
                f"({uses_zh})",
            )
        return (
            f"project {self.subject}: {figure} of central funds planned for a forbidden use "
            f"({uses})",
            f"项目 {self.subject}:计划将 {figure} 中央财政资金用于禁止用途({uses_zh})",
        )

    @property
    def message(self) -> str:
        return self.messages[0]

    @property
    def message_zh(self) -> str:
        return self.messages[1]


# The prefix is written into the statement (``literal_execute``), not sent as a parameter:
# with a parameter, PostgreSQL switches to a generic plan after five runs, and for a
# province the generic plan is 15 times slower (3–4 s, not 0.2 s). It is a validated string
# of digits, rendered by the dialect's literal quoting.
_PREFIX = bindparam("prefix", type_=String, literal_execute=True)
# Each breach with the rule it breaks and that rule's set: all an answer needs, in one
# statement (the raw-asyncpg limit of the benchmark runs the same).
_RULE_COLUMNS = """r.position, r.kind, r.categories, r.station_tier, r.amount, r.percent,
       r.uses, r.clause, s.code AS rule_set"""
CHECK = text(f"""
SELECT f.*, {_RULE_COLUMNS}
FROM ({CHECK_SQL}) f
JOIN programme.fund_rule r ON r.id = f.rule_id
JOIN programme.fund_rule_set s ON s.id = r.rule_set_id
""").bindparams(_PREFIX)
_STORED = text(f"""
SELECT b.county_code, b.rule_id, b.basis, b.subject_kind, b.subject, b.project_code,
       b.figure, b."limit", b.detected_at, {_RULE_COLUMNS}
FROM programme.fund_breach b
JOIN programme.fund_rule r ON r.id = b.rule_id
JOIN programme.fund_rule_set s ON s.id = r.rule_set_id
WHERE b.county_code = :county AND (CAST(:project AS text) IS NULL OR b.project_code = :project)
""")
# The stored breaches of the counties matching :prefix become those found now; one that
# persists keeps when it was first detected.
_RECHECK = text(f"""
WITH found AS ({CHECK_SQL}),
gone AS (
    DELETE FROM programme.fund_breach b
    WHERE b.county_code LIKE :prefix AND NOT EXISTS (
        SELECT FROM found f
        WHERE (f.county_code, f.rule_id, f.basis, f.subject)
            = (b.county_code, b.rule_id, b.basis, b.subject))
)
INSERT INTO programme.fund_breach
    (county_code, rule_id, basis, subject_kind, subject, project_code, figure, "limit")
SELECT county_code, rule_id, basis, subject_kind, subject, project_code, figure, "limit"
FROM found
ON CONFLICT (county_code, rule_id, basis, subject)
DO UPDATE SET figure = EXCLUDED.figure, "limit" = EXCLUDED."limit",
              project_code = EXCLUDED.project_code
""").bindparams(_PREFIX)


def _breach(row: Row[Any]) -> Breach:
    rule = RuleView(
        id=row.rule_id,
        position=row.position,
        kind=row.kind,
        categories=row.categories,
        station_tier=row.station_tier,
        amount=row.amount,
        percent=row.percent,
        uses=row.uses,
        clause=row.clause,
    )
    return Breach(
        county_code=row.county_code,
        rule=rule,
        rule_set=row.rule_set,
        basis=row.basis,
        subject_kind=row.subject_kind,
        subject=row.subject,
        project_code=row.project_code,
        figure=row.figure,
        limit=row.limit,
        detected_at=getattr(row, "detected_at", None),
    )


async def run_check(session: AsyncSession, prefix: str) -> list[Breach]:
    """Every breach now, of the demonstration counties under ``prefix`` (6 digits: one)."""
    rows = (await session.execute(CHECK, {"prefix": prefix + "%"})).all()
    return sorted((_breach(r) for r in rows), key=_order)


def _order(breach: Breach) -> tuple[str, int, str, str]:
    return breach.county_code, breach.rule.position, breach.subject, breach.basis


async def recheck_county(session: AsyncSession, county_code: str) -> None:
    """Store the county's breaches as they are after this change (same transaction)."""
    await session.flush()
    await session.execute(_RECHECK, {"prefix": county_code[:6] + "%"})


async def recheck_rule_set(session: AsyncSession, rule_set_id: int) -> None:
    """After a rule set changed: every county checked on it."""
    from services.programme.ledger.models import DemonstrationCounty

    counties = await session.scalars(
        select(DemonstrationCounty.county_code).where(
            DemonstrationCounty.fund_rule_set_id == rule_set_id
        )
    )
    for county_code in counties.all():
        await recheck_county(session, county_code)


async def stored_breaches(
    session: AsyncSession, county_code: str, *, project_code: str | None = None
) -> list[Breach]:
    rows = (await session.execute(_STORED, {"county": county_code, "project": project_code})).all()
    return sorted((_breach(r) for r in rows), key=_order)


async def project_breaches(session: AsyncSession, project: Project) -> Sequence[Breach]:
    """The breaches of one project (its budget, its stations, its payments)."""
    return await stored_breaches(session, project.county_code, project_code=project.code)
