"""programme: covering indexes for the fund check (a county's central payments by station and by use)

Revision ID: programme_0006
Revises: programme_0005
Create Date: 2026-12-01 21:23:54.292440
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "programme_0006"
down_revision: str | Sequence[str] | None = "programme_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_disbursement_central_use",
        "disbursement",
        ["county_code", "use"],
        unique=False,
        schema="programme",
        postgresql_include=["project_id", "amount", "voucher_number"],
        postgresql_where=sa.text("use IS NOT NULL AND source = 'central' AND NOT cancelled"),
    )
    op.create_index(
        "ix_disbursement_station_paid",
        "disbursement",
        ["county_code", "station_code"],
        unique=False,
        schema="programme",
        postgresql_include=["amount"],
        postgresql_where=sa.text(
            "station_code IS NOT NULL AND source = 'central' AND NOT cancelled"
        ),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_disbursement_station_paid",
        table_name="disbursement",
        schema="programme",
        postgresql_include=["amount"],
        postgresql_where=sa.text(
            "station_code IS NOT NULL AND source = 'central' AND NOT cancelled"
        ),
    )
    op.drop_index(
        "ix_disbursement_central_use",
        table_name="disbursement",
        schema="programme",
        postgresql_include=["project_id", "amount", "voucher_number"],
        postgresql_where=sa.text("use IS NOT NULL AND source = 'central' AND NOT cancelled"),
    )
