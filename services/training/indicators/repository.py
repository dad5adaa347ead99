"""Training indicators in SQL: one statement per figure set (ADR 0031).

Residents are found by the ``residence_code`` index; their attendance through the two
partial unique indexes on (trainee, day) — one holds whole days and mornings, the other
whole days and afternoons — so no fourth index on the 10-million-row table is needed.
"""

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Attendance of the residents in ``residents`` in the period, each row once.
ATTENDED = """
    SELECT a.trainee_id, a.session_id, a.part FROM training.attendance a
    JOIN residents r ON r.id = a.trainee_id
    WHERE a.part IN ('day', 'am') AND a.day BETWEEN :first AND :last
    UNION ALL
    SELECT a.trainee_id, a.session_id, a.part FROM training.attendance a
    JOIN residents r ON r.id = a.trainee_id
    WHERE a.part = 'pm' AND a.day BETWEEN :first AND :last
"""

INDICATORS = f"""
WITH residents AS (
    SELECT id, residence_code, categories, 'poor_household' = ANY(categories) AS poor
    FROM training.trainee WHERE residence_code LIKE :prefix
),
attended AS ({ATTENDED}),
participation AS MATERIALIZED (
    SELECT p.trainee_id, p.days, s.level, r.residence_code, r.categories, r.poor
    FROM (
        SELECT trainee_id, session_id, sum(CASE part WHEN 'day' THEN 1.0 ELSE 0.5 END) AS days
        FROM attended GROUP BY trainee_id, session_id
    ) p
    JOIN residents r ON r.id = p.trainee_id
    JOIN training.training_session s ON s.id = p.session_id
),
persons AS MATERIALIZED (
    SELECT trainee_id, min(residence_code) AS village, bool_or(poor) AS poor
    FROM participation GROUP BY trainee_id
),
villages AS MATERIALIZED (
    SELECT village, count(*) AS persons FROM persons GROUP BY village
),
committees AS MATERIALIZED (
    SELECT code FROM training.reference_division
    WHERE level = 'village' AND division_class = 'village_committee' AND until_edition IS NULL
      AND code LIKE :prefix
),
subsidy AS (
    SELECT CASE WHEN a.trainee_id = ANY(r.ineligible_trainees) THEN 0
                WHEN r.unit = 'person' THEN r.unit_amount
                ELSE r.unit_amount * sum(CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END)
           END AS amount
    FROM training.training_session s
    JOIN training.session_subsidy r ON r.session_id = s.id
    JOIN training.attendance a ON a.session_id = s.id
    WHERE s.status = 'held' AND s.starts_on BETWEEN :first AND :last
      AND s.division_code LIKE :prefix
    GROUP BY s.id, a.trainee_id, r.ineligible_trainees, r.unit, r.unit_amount
)
SELECT
    (SELECT count(*) FROM participation) AS people_times,
    (SELECT coalesce(sum(days), 0) FROM participation) AS person_days,
    (SELECT count(*) FROM persons) AS persons,
    (SELECT count(*) FROM participation WHERE poor) AS poor_people_times,
    (SELECT count(*) FROM persons WHERE poor) AS poor_persons,
    (SELECT coalesce(jsonb_object_agg(level, jsonb_build_array(n, m)), '{{}}')
     FROM (SELECT level, count(*) AS n, count(DISTINCT trainee_id) AS m
           FROM participation GROUP BY level) x) AS by_level,
    (SELECT coalesce(jsonb_object_agg(category, jsonb_build_array(n, m)), '{{}}')
     FROM (SELECT category, count(*) AS n, count(DISTINCT trainee_id) AS m
           FROM participation, unnest(categories) AS category GROUP BY category) x) AS by_category,
    (SELECT count(*) FROM villages) AS villages_any,
    (SELECT count(*) FROM committees) AS committees,
    (SELECT count(*) FROM villages v JOIN committees c ON c.code = v.village) AS committees_trained,
    (SELECT count(*) FROM villages v JOIN committees c ON c.code = v.village
     WHERE v.persons >= 3) AS committees_three,
    (SELECT coalesce(sum(v.persons), 0) FROM villages v
     JOIN committees c ON c.code = v.village) AS committee_persons,
    (SELECT jsonb_build_object(
        'online_shop', count(*) FILTER (WHERE kind = 'online_shop'),
        'station_operator', count(*) FILTER (WHERE kind = 'station_operator'),
        'employed', count(*) FILTER (WHERE kind = 'employed'),
        'business_started', count(*) FILTER (WHERE kind = 'business_started'),
        'sales', coalesce(sum(sales_amount) FILTER (WHERE kind = 'online_sales'), 0))
     FROM training.outcome o JOIN residents r ON r.id = o.trainee_id
     WHERE o.occurred_on BETWEEN :first AND :last) AS outcomes,
    (SELECT coalesce(sum(amount), 0)::numeric(14, 2) FROM subsidy) AS subsidies_due
"""

GAPS = f"""
WITH residents AS (
    SELECT id, residence_code FROM training.trainee WHERE residence_code LIKE :prefix
),
attended AS ({ATTENDED}),
trained AS (
    SELECT DISTINCT r.residence_code FROM attended a JOIN residents r ON r.id = a.trainee_id
)
SELECT d.code, d.name FROM training.reference_division d
WHERE d.level = 'village' AND d.division_class = 'village_committee'
  AND d.until_edition IS NULL AND d.code LIKE :prefix AND d.code > :after
  AND d.code NOT IN (SELECT residence_code FROM trained)
ORDER BY d.code
LIMIT :limit
"""


def params(prefix: str, first: date, last: date) -> dict[str, Any]:
    return {"prefix": prefix + "%", "first": first, "last": last}


async def indicators(session: AsyncSession, prefix: str, first: date, last: date) -> Any:
    return (await session.execute(text(INDICATORS), params(prefix, first, last))).one()


async def gaps(
    session: AsyncSession, prefix: str, first: date, last: date, after: str, limit: int
) -> list[Any]:
    values = params(prefix, first, last) | {"after": after, "limit": limit + 1}
    return list(await session.execute(text(GAPS), values))
