"""training: the residents ever trained, per village and per county (in all, per level, per
category), and indexes on the first and the last day a trainee attended — the persons of a
period are those less the few who attended only outside it (ADR 0092); built here from the
activity already held

Revision ID: training_0007
Revises: training_0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "training_0007"
down_revision: str | Sequence[str] | None = "training_0006"
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


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "village_tally",
        sa.Column("village", sa.String(length=12, collation="C"), nullable=False),
        _count("persons"),
        sa.PrimaryKeyConstraint("village", name=op.f("pk_village_tally")),
        schema="training",
    )
    op.create_table(
        "county_person_tally",
        sa.Column("county", sa.String(length=6, collation="C"), nullable=False),
        _count("persons"),
        *[_count(f"persons_{k}") for k in (*LEVELS, *CATEGORIES)],
        sa.PrimaryKeyConstraint("county", name=op.f("pk_county_person_tally")),
        schema="training",
    )
    op.create_index(
        "ix_trainee_activity_first_day",
        "trainee_activity",
        [sa.text("lower(attended)")],
        unique=False,
        schema="training",
    )
    op.create_index(
        "ix_trainee_activity_last_day",
        "trainee_activity",
        [sa.text("upper(attended)")],
        unique=False,
        schema="training",
    )
    # What is already held, counted as the writers count it from now on.
    op.execute(
        """
        INSERT INTO training.village_tally (village, persons)
        SELECT residence_code, count(*) FROM training.trainee_activity GROUP BY 1
        """
    )
    op.execute(
        f"""
        INSERT INTO training.county_person_tally
            (county, persons, {", ".join(f"persons_{k}" for k in (*LEVELS, *CATEGORIES))})
        SELECT left(residence_code, 6), count(*),
            {", ".join(f"count(*) FILTER (WHERE NOT isempty({lv}))" for lv in LEVELS)},
            {", ".join(f"count(*) FILTER (WHERE '{c}' = ANY(categories))" for c in CATEGORIES)}
        FROM training.trainee_activity GROUP BY 1
        """
    )


def downgrade() -> None:
    op.drop_index("ix_trainee_activity_last_day", table_name="trainee_activity", schema="training")
    op.drop_index("ix_trainee_activity_first_day", table_name="trainee_activity", schema="training")
    op.drop_table("county_person_tally", schema="training")
    op.drop_table("village_tally", schema="training")
