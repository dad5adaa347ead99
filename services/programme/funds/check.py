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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import compile_for_asyncpg
from services.programme.ledger.models import CATEGORY_ZH, USE_ZH, Project

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


def _names(mapping: Mapping[StrEnum, str]) -> str:
    """A code → Chinese name list as SQL ``VALUES`` rows."""
    return ", ".join(f"('{code.value}', '{name}')" for code, name in mapping.items())


def yuan_sql(amount: str) -> str:
    """SQL for ``common.fields.format_yuan``: ¥42,000 or ¥42,000.50."""
    return f"'¥' || regexp_replace(to_char({amount}, 'FM9,999,999,999,999,990.00'), '[.]00$', '')"


def _zh(codes: str, mapping: Mapping[StrEnum, str]) -> str:
    """SQL: the Chinese names of an array of codes, in its order, joined by 、."""
    return (
        f"array_to_string(ARRAY(SELECT z.name FROM unnest({codes}) WITH ORDINALITY AS u(code, i) "
        f"JOIN (VALUES {_names(mapping)}) AS z(code, name) ON z.code = u.code ORDER BY u.i), '、')"
    )


# Each breach of the rows of ``{source}`` (columns as CHECK_SQL's) with its rule, the rule's
# set and what is wrong in English and Chinese: the subject, the figure and the limit
# ("village point 532801103201-01: ¥42,000 > ¥30,000 cap"). The wording lives here only:
# the check run now and the breaches stored at the last change are worded alike.
_WORDED = f"""
SELECT b.*, r.position, r.kind, r.categories, r.station_tier, r.amount, r.percent, r.uses,
       r.clause, s.code AS rule_set, m.message, m.message_zh
FROM ({{source}}) b
JOIN programme.fund_rule r ON r.id = b.rule_id
JOIN programme.fund_rule_set s ON s.id = r.rule_set_id
CROSS JOIN LATERAL (
    SELECT CASE r.kind
        WHEN 'share_min' THEN w.cats || ': ' || w.fig || ' = ' || w.share
            || ' % of central funds < ' || w.pct || ' % minimum (' || w.lim || ')'
        WHEN 'share_max' THEN w.cats || ': ' || w.fig || ' = ' || w.share
            || ' % of central funds > ' || w.pct || ' % maximum (' || w.lim || ')'
        WHEN 'category_cap' THEN w.cats || ': ' || w.fig || ' > ' || w.lim || ' cap'
        WHEN 'project_cap' THEN 'project ' || b.subject || ': ' || w.fig || ' > ' || w.lim
            || ' cap per project'
        WHEN 'investment_share_cap' THEN 'project ' || b.subject || ': central ' || w.fig
            || ' > ' || w.pct || ' % of its investment (' || w.lim || ')'
        WHEN 'station_cap' THEN w.tier || ' ' || b.subject || ': ' || w.fig
            || CASE b.basis WHEN 'paid' THEN ' paid' ELSE '' END || ' > ' || w.lim || ' cap'
        ELSE CASE b.subject_kind
            WHEN 'disbursement' THEN 'payment ' || b.subject || ' of project '
                || b.project_code || ': ' || w.fig
                || ' of central funds for a forbidden use (' || w.uses || ')'
            ELSE 'project ' || b.subject || ': ' || w.fig
                || ' of central funds planned for a forbidden use (' || w.uses || ')' END
        END AS message,
        CASE r.kind
        WHEN 'share_min' THEN w.cats_zh || ':' || w.fig || ',占中央财政资金 ' || w.share
            || '%,低于 ' || w.pct || '% 的下限(' || w.lim || ')'
        WHEN 'share_max' THEN w.cats_zh || ':' || w.fig || ',占中央财政资金 ' || w.share
            || '%,超过 ' || w.pct || '% 的上限(' || w.lim || ')'
        WHEN 'category_cap' THEN w.cats_zh || ':' || w.fig || ' 超过 ' || w.lim || ' 上限'
        WHEN 'project_cap' THEN '项目 ' || b.subject || ':' || w.fig || ' 超过单个项目 '
            || w.lim || ' 上限'
        WHEN 'investment_share_cap' THEN '项目 ' || b.subject || ':' || '中央财政资金 '
            || w.fig || ' 超过项目总投资的 ' || w.pct || '%(' || w.lim || ')'
        WHEN 'station_cap' THEN w.tier_zh || ' ' || b.subject || ':'
            || CASE b.basis WHEN 'paid' THEN '已拨付' ELSE '' END || w.fig || ' 超过 '
            || w.lim || ' 上限'
        ELSE CASE b.subject_kind
            WHEN 'disbursement' THEN '项目 ' || b.project_code || ' 的拨付 ' || b.subject
                || ':' || w.fig || ' 中央财政资金用于禁止用途(' || w.uses_zh || ')'
            ELSE '项目 ' || b.subject || ':' || '计划将 ' || w.fig
                || ' 中央财政资金用于禁止用途(' || w.uses_zh || ')' END
        END AS message_zh
    FROM (SELECT
        {yuan_sql("b.figure")} AS fig,
        {yuan_sql('b."limit"')} AS lim,
        coalesce(r.percent, 0)::text AS pct,
        -- the figure as a share of central funds, as the limit is the rule's percent of them
        CASE WHEN b."limit" = 0 THEN '0'
             ELSE round(b.figure / b."limit" * coalesce(r.percent, 0), 2)::text END AS share,
        CASE WHEN cardinality(r.categories) = 0 THEN 'all projects'
             ELSE replace(array_to_string(r.categories, ', '), '_', ' ') END AS cats,
        CASE WHEN cardinality(r.categories) = 0 THEN '全部项目'
             ELSE {_zh("r.categories", CATEGORY_ZH)} END AS cats_zh,
        array_to_string(r.uses, ', ') AS uses,
        {_zh("r.uses", USE_ZH)} AS uses_zh,
        CASE r.station_tier WHEN 'township' THEN 'township station'
             WHEN 'village' THEN 'village point' ELSE 'station' END AS tier,
        CASE r.station_tier WHEN 'township' THEN '乡镇服务站'
             WHEN 'village' THEN '村级服务点' ELSE '站点' END AS tier_zh
    ) w
) m
"""


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
    message: str
    message_zh: str
    detected_at: datetime | None = None


# The prefix is written into the statement (``literal_execute``), not sent as a parameter:
# with a parameter, PostgreSQL switches to a generic plan after five runs, and for a
# province the generic plan is 15 times slower (3–4 s, not 0.2 s). It is a validated string
# of digits, rendered by the dialect's literal quoting.
_PREFIX = bindparam("prefix", type_=String, literal_execute=True)
# The answer of ``GET /v1/fund-check`` (``schemas.FundCheck``), built whole by the database
# in one statement: every demonstration county under the prefix with the set it is checked
# on and its breaches, worded, in the order of the rules and then by subject (as Python
# compares strings: ``COLLATE "C"``). Amounts as the API writes money, with two decimals.
# The service passes the text on; the benchmark's raw-asyncpg limit runs this statement.
CHECK = text(f"""
WITH worded AS ({_WORDED.format(source=CHECK_SQL)}),
per_county AS (
    SELECT county_code, count(*) AS n, json_agg(json_build_object(
        'rule_set', rule_set,
        'rule', json_build_object(
            'id', rule_id, 'kind', kind, 'categories', categories,
            'station_tier', station_tier, 'amount', round(amount, 2)::text,
            'percent', percent::text, 'uses', uses, 'clause', clause),
        'basis', basis, 'subject_kind', subject_kind, 'subject', subject,
        'project', project_code, 'figure', round(figure, 2)::text,
        'limit', round("limit", 2)::text, 'message', message, 'message_zh', message_zh,
        'detected_at', NULL
    ) ORDER BY position, subject COLLATE "C", basis COLLATE "C") AS breaches
    FROM worded
    GROUP BY county_code
)
SELECT json_build_object(
    'division', rtrim(:prefix, '%'),
    'counties', coalesce(json_agg(json_build_object(
        'county_code', c.county_code, 'rule_set', s.code,
        'breaches', coalesce(p.breaches, '[]'::json)
    ) ORDER BY c.county_code COLLATE "C"), '[]'::json),
    'breaches', coalesce(sum(p.n), 0)::int
)::text
FROM programme.demonstration_county c
LEFT JOIN programme.fund_rule_set s ON s.id = c.fund_rule_set_id
LEFT JOIN per_county p ON p.county_code = c.county_code
WHERE c.county_code LIKE :prefix
""").bindparams(_PREFIX)
_STORED = text(
    _WORDED.format(
        source="""
SELECT county_code, rule_id, basis, subject_kind, subject, project_code, figure, "limit",
       detected_at
FROM programme.fund_breach
WHERE county_code = :county AND (CAST(:project AS text) IS NULL OR project_code = :project)
"""
    )
)
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
        message=row.message,
        message_zh=row.message_zh,
        detected_at=row.detected_at,
    )


@lru_cache(maxsize=256)
def check_sql(prefix: str) -> str:
    """``CHECK`` as the database runs it for the counties under ``prefix`` (the prefix
    written in): rendered once per prefix, not on every request."""
    sql, _ = compile_for_asyncpg(CHECK, {"prefix": prefix + "%"})
    return sql


async def run_check(session: AsyncSession, prefix: str) -> str:
    """The check now of the demonstration counties under ``prefix`` (6 digits: one), as the
    JSON text of ``schemas.FundCheck``."""
    result = await (await session.connection()).exec_driver_sql(check_sql(prefix))
    answer: str = result.scalar_one()
    return answer


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
