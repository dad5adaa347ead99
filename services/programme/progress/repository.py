"""The programme's progress figures of a division, as of a day: one statement, so every
figure comes from one snapshot."""

from datetime import date

import asyncpg
from sqlalchemy import text

from common.bulkwrite import Database, connection_of
from common.db import RawStatement

# A project counts while it is not cancelled, with its current budget (the ledger keeps no
# history of a budget, nor a start date: a county enters its ledger after the fact). Payments count by
# the day they were paid; a cancelled payment never counts. Milestones: those of counted
# projects, judged on ``last`` — due by then, done by then, due and not done by then.
# Breaches are the ones the last check holds now (mended ones are gone; the check judges the
# ledger as it stands, not as of a day).
PROGRESS = RawStatement(
    text("""
WITH projects AS (
    SELECT id, category, status, budget_central, budget_local, budget_social
    FROM programme.project
    WHERE county_code LIKE :prefix
), counted AS (
    SELECT * FROM projects WHERE status <> 'cancelled'
), paid AS (
    SELECT d.project_id, d.source, d.amount, d.paid_on >= :first AS in_period
    FROM programme.disbursement d
    WHERE d.county_code LIKE :prefix AND NOT d.cancelled AND d.paid_on <= :last
      AND d.project_id IN (SELECT id FROM counted)
), categories AS (
    SELECT c.category, count(*) AS projects,
           sum(c.budget_central) AS central, sum(c.budget_local) AS local,
           sum(c.budget_social) AS social
    FROM counted c GROUP BY c.category
), category_paid AS (
    SELECT c.category,
           sum(p.amount) FILTER (WHERE p.source = 'central') AS central,
           sum(p.amount) FILTER (WHERE p.source = 'local') AS local,
           sum(p.amount) FILTER (WHERE p.source = 'social') AS social,
           sum(p.amount) FILTER (WHERE p.in_period) AS in_period
    FROM paid p JOIN counted c ON c.id = p.project_id GROUP BY c.category
), milestones AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE m.deadline <= :last) AS due,
           count(*) FILTER (WHERE m.status = 'done' AND m.completed_on <= :last) AS done,
           count(*) FILTER (
               WHERE m.deadline <= :last
                 AND NOT (m.status = 'done' AND coalesce(m.completed_on <= :last, false))
           ) AS overdue
    FROM programme.milestone m WHERE m.project_id IN (SELECT id FROM counted)
), breaches AS (
    SELECT r.kind, b.basis, count(*) AS n, count(DISTINCT b.county_code) AS counties
    FROM programme.fund_breach b JOIN programme.fund_rule r ON r.id = b.rule_id
    WHERE b.county_code LIKE :prefix
    GROUP BY ROLLUP (r.kind, b.basis)
)
SELECT
    (SELECT count(*) FROM programme.demonstration_county
     WHERE county_code LIKE :prefix AND programme_start <= :last) AS counties,
    (SELECT jsonb_build_object('central', coalesce(sum(central_funds), 0),
                               'local', coalesce(sum(local_funds), 0))
     FROM programme.demonstration_county
     WHERE county_code LIKE :prefix AND programme_start <= :last) AS allocated,
    (SELECT coalesce(jsonb_object_agg(status, n), '{}')
     FROM (SELECT status, count(*) AS n FROM projects GROUP BY status) s) AS projects,
    (SELECT to_jsonb(m) FROM milestones m) AS milestones,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'category', c.category, 'projects', c.projects,
                'planned_central', c.central, 'planned_local', c.local,
                'planned_social', c.social,
                'paid_central', coalesce(p.central, 0), 'paid_local', coalesce(p.local, 0),
                'paid_social', coalesce(p.social, 0),
                'paid_in_period', coalesce(p.in_period, 0)) ORDER BY c.category), '[]')
     FROM categories c LEFT JOIN category_paid p ON p.category = c.category) AS categories,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'kind', kind, 'basis', basis, 'breaches', n, 'counties', counties)), '[]')
     FROM breaches) AS breaches
""")
)


async def progress(db: Database, prefix: str, first: date, last: date) -> asyncpg.Record:
    conn = await connection_of(db)
    row = await PROGRESS.fetchrow(conn, prefix=prefix + "%", first=first, last=last)
    assert row is not None  # one row of aggregates, whatever is held
    return row
