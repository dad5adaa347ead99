"""division flags carry a version; monthly reports indexed by (month, station_id)

Revision ID: stations_0002
Revises: stations_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "stations_0002"
down_revision: str | Sequence[str] | None = "stations_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "division_flag",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        schema="stations",
    )
    op.create_index(
        "ix_monthly_report_month_station_id",
        "monthly_report",
        ["month", "station_id"],
        unique=False,
        schema="stations",
    )
    op.drop_index("ix_monthly_report_month", table_name="monthly_report", schema="stations")


def downgrade() -> None:
    op.create_index(
        "ix_monthly_report_month", "monthly_report", ["month"], unique=False, schema="stations"
    )
    op.drop_index(
        "ix_monthly_report_month_station_id", table_name="monthly_report", schema="stations"
    )
    op.drop_column("division_flag", "version", schema="stations")
