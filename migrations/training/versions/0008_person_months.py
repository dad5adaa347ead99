"""training: the persons of each month — per village, and per county and kind (in all, per
level) with their categories — keyed by the days attended that month and the last day
attended before it, so the distinct persons of any period are a sum; and each trainee's gaps
between days attended, so those with a gap holding a period are found by an index (ADR
0097); built here from the activity already held

Revision ID: training_0008
Revises: training_0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "training_0008"
down_revision: str | Sequence[str] | None = "training_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = (
    "poor_household",
    "rural_youth",
    "returning_graduate",
    "veteran",
    "village_official",
    "first_secretary",
    "cooperative_member",
    "station_operator",
    "online_shop_owner",
    "other",
)
LEVELS = ("basic", "advanced", "senior", "incubation")

# One row per month with days in ``days``: the month, the days attended in it (bit d-1 for
# day d) and the last day attended before it ('-infinity' for none).
MONTH_PARTS = """
CREATE FUNCTION training.month_parts(days datemultirange)
RETURNS TABLE (month date, prev_day date, mask integer)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT m, coalesce(lag(last) OVER (ORDER BY m), '-infinity'::date), bits
    FROM (
        SELECT date_trunc('month', d)::date AS m, max(d)::date AS last,
               bit_or(1 << (extract(day FROM d)::int - 1)) AS bits
        FROM unnest(days) AS r,
             generate_series(lower(r)::timestamp, (upper(r) - 1)::timestamp, interval '1 day') AS d
        GROUP BY 1
    ) x
$$
"""


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def _keys() -> list[sa.Column]:
    return [
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("prev_day", sa.Date(), nullable=False),
        sa.Column("mask", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.execute(MONTH_PARTS)
    op.create_table(
        "village_month_tally",
        sa.Column("village", sa.String(length=12, collation="C"), nullable=False),
        *_keys(),
        _count("persons"),
        sa.PrimaryKeyConstraint(
            "village", "month", "prev_day", "mask", name=op.f("pk_village_month_tally")
        ),
        schema="training",
    )
    op.create_index(
        "ix_village_month_tally_month",
        "village_month_tally",
        ["month", "village"],
        unique=False,
        schema="training",
        postgresql_include=["prev_day", "mask", "persons"],
    )
    op.create_table(
        "county_month_tally",
        sa.Column("county", sa.String(length=6, collation="C"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        *_keys(),
        _count("persons"),
        *[_count(f"persons_{c}") for c in CATEGORIES],
        sa.PrimaryKeyConstraint(
            "county", "kind", "month", "prev_day", "mask", name=op.f("pk_county_month_tally")
        ),
        schema="training",
    )
    op.create_table(
        "trainee_gap",
        sa.Column("trainee_id", sa.BigInteger(), nullable=False),
        sa.Column("gap", postgresql.DATERANGE(), nullable=False),
        sa.Column("residence_code", sa.String(length=12, collation="C"), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainee_id"], ["training.trainee.id"], name=op.f("fk_trainee_gap_trainee_id_trainee")
        ),
        sa.PrimaryKeyConstraint("trainee_id", "gap", name=op.f("pk_trainee_gap")),
        schema="training",
    )
    # What is already held, counted as the writers count it from now on.
    kinds = ", ".join(["('all', a.attended)", *(f"('{lv}', a.{lv})" for lv in LEVELS)])
    op.execute(
        f"""
        CREATE TEMP TABLE months_held ON COMMIT DROP AS
        SELECT a.residence_code, a.categories, k.kind, m.month, m.prev_day, m.mask
        FROM training.trainee_activity a
        CROSS JOIN LATERAL (VALUES {kinds}) AS k (kind, days)
        CROSS JOIN LATERAL training.month_parts(k.days) AS m
        """
    )
    op.execute(
        """
        INSERT INTO training.village_month_tally (village, month, prev_day, mask, persons)
        SELECT residence_code, month, prev_day, mask, count(*) FROM months_held
        WHERE kind = 'all' GROUP BY 1, 2, 3, 4
        """
    )
    op.execute(
        f"""
        INSERT INTO training.county_month_tally
            (county, kind, month, prev_day, mask, persons,
             {", ".join(f"persons_{c}" for c in CATEGORIES)})
        SELECT left(residence_code, 6), kind, month, prev_day, mask, count(*),
            {", ".join(f"count(*) FILTER (WHERE '{c}' = ANY(categories))" for c in CATEGORIES)}
        FROM months_held GROUP BY 1, 2, 3, 4, 5
        """
    )
    op.execute(
        """
        INSERT INTO training.trainee_gap (trainee_id, residence_code, gap)
        SELECT trainee_id, residence_code,
               unnest(datemultirange(range_merge(attended)) - attended)
        FROM training.trainee_activity
        """
    )
    op.create_index(
        "ix_trainee_gap_gap",
        "trainee_gap",
        ["gap"],
        unique=False,
        schema="training",
        postgresql_using="spgist",
        postgresql_include=["residence_code"],
    )


def downgrade() -> None:
    op.drop_table("trainee_gap", schema="training")
    op.drop_table("county_month_tally", schema="training")
    op.drop_table("village_month_tally", schema="training")
    op.execute("DROP FUNCTION training.month_parts(datemultirange)")
