"""training: roll-ups of attendance kept in the writers' transactions — per residence county,
day and level; per trainee (days attended as multiranges); per session (ADR 0033) — built
here from the attendance already held

Revision ID: training_0005
Revises: training_0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "training_0005"
down_revision: str | Sequence[str] | None = "training_0004"
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
WEIGHT = "CASE a.part WHEN 'day' THEN 1.0 ELSE 0.5 END"


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def _days(name: str) -> sa.Column:
    return sa.Column(
        name, postgresql.DATEMULTIRANGE(), server_default=sa.text("'{}'"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "county_day_tally",
        sa.Column("county", sa.String(length=6, collation="C"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        _count("pairs"),
        sa.Column("person_days", sa.Numeric(14, 1), server_default=sa.text("0"), nullable=False),
        *[_count(f"pairs_{c}") for c in CATEGORIES],
        sa.PrimaryKeyConstraint("county", "day", "level", name=op.f("pk_county_day_tally")),
        schema="training",
    )
    op.create_table(
        "trainee_activity",
        sa.Column("trainee_id", sa.BigInteger(), nullable=False),
        sa.Column("residence_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(length=24)), nullable=False),
        _days("attended"),
        *[_days(lv) for lv in LEVELS],
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["training.trainee.id"],
            name=op.f("fk_trainee_activity_trainee_id_trainee"),
        ),
        sa.PrimaryKeyConstraint("trainee_id", name=op.f("pk_trainee_activity")),
        schema="training",
    )
    op.create_index(
        "ix_trainee_activity_residence_code",
        "trainee_activity",
        ["residence_code"],
        unique=False,
        schema="training",
    )
    op.create_table(
        "session_tally",
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        _count("pairs"),
        sa.Column("person_days", sa.Numeric(14, 1), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training.training_session.id"],
            name=op.f("fk_session_tally_session_id_training_session"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_tally")),
        schema="training",
    )
    # What is already held, counted as the writers count it from now on.
    op.execute(
        f"""
        INSERT INTO training.county_day_tally (county, day, level, pairs, person_days,
            {", ".join(f"pairs_{c}" for c in CATEGORIES)})
        SELECT left(p.residence_code, 6), c.day, s.level, sum(c.pairs), sum(c.person_days),
            {", ".join(f"sum(CASE WHEN '{c}' = ANY(p.categories) THEN c.pairs ELSE 0 END)" for c in CATEGORIES)}
        FROM (
            SELECT trainee_id, session_id, min(day) AS day, 1 AS pairs, 0.0 AS person_days
            FROM training.attendance GROUP BY trainee_id, session_id
            UNION ALL
            SELECT trainee_id, session_id, day, 0, {WEIGHT} FROM training.attendance a
        ) c
        JOIN training.trainee p ON p.id = c.trainee_id
        JOIN training.training_session s ON s.id = c.session_id
        GROUP BY 1, 2, 3
        """
    )
    ranges = ", ".join(
        f"coalesce(range_agg(daterange(a.day, a.day, '[]')) FILTER (WHERE s.level = '{lv}'),"
        " '{}')"
        for lv in LEVELS
    )
    op.execute(
        f"""
        INSERT INTO training.trainee_activity
            (trainee_id, residence_code, categories, attended, {", ".join(LEVELS)})
        SELECT a.trainee_id, p.residence_code, p.categories,
            range_agg(daterange(a.day, a.day, '[]')), {ranges}
        FROM training.attendance a
        JOIN training.trainee p ON p.id = a.trainee_id
        JOIN training.training_session s ON s.id = a.session_id
        GROUP BY a.trainee_id, p.residence_code, p.categories
        """
    )
    op.execute(
        f"""
        INSERT INTO training.session_tally (session_id, pairs, person_days)
        SELECT session_id, count(DISTINCT trainee_id), sum({WEIGHT})
        FROM training.attendance a GROUP BY session_id
        """
    )


def downgrade() -> None:
    op.drop_table("session_tally", schema="training")
    op.drop_index(
        "ix_trainee_activity_residence_code", table_name="trainee_activity", schema="training"
    )
    op.drop_table("trainee_activity", schema="training")
    op.drop_table("county_day_tally", schema="training")
