"""training: sessions found by a day they run on (GiST over their dates), for the indicators'
participations begun before a period (ADR 0033)

Revision ID: training_0006
Revises: training_0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "training_0006"
down_revision: str | Sequence[str] | None = "training_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_training_session_dates",
        "training_session",
        [sa.text("daterange(starts_on, ends_on, '[]')")],
        unique=False,
        schema="training",
        postgresql_using="gist",
    )


def downgrade() -> None:
    op.drop_index("ix_training_session_dates", table_name="training_session", schema="training")
