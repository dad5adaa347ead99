"""parcel volumes: monthly sums from a covering index

Revision ID: logistics_0004
Revises: logistics_0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "logistics_0004"
down_revision: str | Sequence[str] | None = "logistics_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = ["outbound_parcels", "outbound_weight_kg", "inbound_parcels", "inbound_weight_kg"]


def upgrade() -> None:
    op.drop_index(
        "ix_parcel_volume_division_code_day", table_name="parcel_volume", schema="logistics"
    )
    op.create_index(
        "ix_parcel_volume_division_code_day",
        "parcel_volume",
        ["division_code", "day"],
        unique=False,
        schema="logistics",
        postgresql_include=FIGURES,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_parcel_volume_division_code_day", table_name="parcel_volume", schema="logistics"
    )
    op.create_index(
        "ix_parcel_volume_division_code_day",
        "parcel_volume",
        ["division_code", "day"],
        unique=False,
        schema="logistics",
    )
