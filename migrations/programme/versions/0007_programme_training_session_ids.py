"""programme: a project's training sessions by the training service's integer ids

Revision ID: programme_0007
Revises: programme_0006
Create Date: 2026-12-01 22:00:04.595428
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "programme_0007"
down_revision: str | Sequence[str] | None = "programme_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Links made before were free text; a project links a session by its id now.
    op.execute("DELETE FROM programme.project_training_session WHERE session_id !~ '^[0-9]{1,18}$'")
    op.alter_column(
        "project_training_session",
        "session_id",
        existing_type=sa.VARCHAR(length=64),
        type_=sa.BigInteger(),
        existing_nullable=False,
        schema="programme",
        postgresql_using="session_id::bigint",
    )


def downgrade() -> None:
    op.alter_column(
        "project_training_session",
        "session_id",
        existing_type=sa.BigInteger(),
        type_=sa.VARCHAR(length=64),
        existing_nullable=False,
        schema="programme",
    )
