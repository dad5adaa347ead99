"""programme: policy targets (sets, targets, adoptions) and the presets of the seed documents

Revision ID: programme_0002
Revises: programme_0001
Create Date: 2026-12-01

The presets are the targets of the seed policy documents (/work/shared/policies, see
docs/adr/0041). Their data is written here, frozen: a later change to a preset is a new
migration, so a database migrated years ago and one migrated today hold the same rows.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# code, title, issuer, document number, year, region (12 digits), region prefix, targets:
# (indicator, comparator, value, unit, deadline, period, clause)
PRESETS = (
    (
        "shanxi-2017",
        "2017年电子商务进农村综合示范工作实施方案",
        "山西省财政厅 山西省商务厅 山西省扶贫开发办公室",
        "晋财建二〔2017〕87号",
        2017,
        "140000000000",
        "14",
        [
            ("township_station_coverage", "ge", "100", "percent", None, None,
             "示范县电子商务服务站点乡镇覆盖率达到 100%"),
            ("village_point_coverage", "ge", "55", "percent", None, None,
             "行政村和建档立卡贫困村覆盖率均达到 55%"),
            ("poor_village_point_coverage", "ge", "55", "percent", None, None,
             "行政村和建档立卡贫困村覆盖率均达到 55%"),
            ("main_products_online_share", "ge", "60", "percent", None, None,
             "主要农村产品网上销售品种达到 60%"),
            ("rural_online_retail_growth", "ge", "20", "growth_percent", None, None,
             "农村网络零售额同比增长 20%"),
            ("farm_produce_online_retail_growth", "ge", "30", "growth_percent", None, None,
             "农产品网络零售额同比增长 30%"),
            ("persons_trained", "ge", "3000", "persons", None, None,
             "电子商务培训人数 3000 人以上"),
        ],
    ),
    (
        "jinghong-2016",
        "景洪市电子商务进农村三年发展规划及实施方案",
        "景洪市人民政府办公室",
        None,
        2016,
        "532801000000",
        "532801",
        [
            ("township_station_coverage", "ge", "100", "percent", None, None,
             "力争通过3至5年时间，市级农村电子商务平台、乡镇（街道）电子商务服务平台以及行政村"
             "电商网络服务点覆盖率均达100%"),
            ("village_point_coverage", "ge", "50", "percent", "2017-04-01", None,
             "2017年4月1日前，各乡镇、各村级服务站覆盖率达50%"),
            ("courier_township_coverage", "gt", "80", "percent", "2017-04-01", None,
             "物流快递乡镇覆盖率超过80%且覆盖已建的村级服务站点"),
            ("village_points_with_carrier", "ge", "100", "percent", "2017-04-01", None,
             "物流快递乡镇覆盖率超过80%且覆盖已建的村级服务站点"),
            ("training_people_times", "ge", "10000", "people_times", "2018-12-31", None,
             "实施农村电商人才培训“万人计划”"),
            ("trained_persons_per_village", "ge", "1", "persons_per_village", None, None,
             "确保每个行政村都有1-3名电商人才"),
        ],
    ),
    (
        "lvliang-2016",
        "吕梁市人民政府关于大力发展电子商务暨电商扶贫的实施意见",
        "吕梁市人民政府",
        None,
        2016,
        "141100000000",
        "1411",
        [
            ("training_people_times", "ge", "10000", "people_times", "2018-12-31", "year",
             "市、县（市、区）两级每年培训各类电商人员1万人次左右"),
        ],
    ),
    (
        "lishui-2015",
        "丽水市人民政府关于促进电子商务发展的实施意见",
        "丽水市人民政府",
        None,
        2015,
        "331100000000",
        "3311",
        [
            ("rural_stations", "ge", "2500", "count", "2018-12-31", None,
             "到2018年……建设2500个农村电子商务服务站"),
        ],
    ),
)  # fmt: skip


def _insert_presets() -> None:
    target_set = sa.table(
        "target_set",
        *(sa.column(c) for c in ("id", "code", "title", "issuer", "document_number", "year",
                                 "region_code", "region_prefix", "preset", "version",
                                 "created_by")),
        schema="programme",
    )  # fmt: skip
    policy_target = sa.table(
        "policy_target",
        *(sa.column(c) for c in ("target_set_id", "position", "indicator", "comparator",
                                 "value", "unit", "deadline", "period", "clause")),
        schema="programme",
    )  # fmt: skip
    bind = op.get_bind()
    for code, title, issuer, number, year, region, prefix, targets in PRESETS:
        set_id = bind.execute(
            sa.insert(target_set)
            .values(
                code=code, title=title, issuer=issuer, document_number=number, year=year,
                region_code=region, region_prefix=prefix, preset=True, version=1,
                created_by="preset",
            )
            .returning(target_set.c.id)
        ).scalar_one()  # fmt: skip
        bind.execute(
            sa.insert(policy_target),
            [
                {
                    "target_set_id": set_id,
                    "position": position,
                    "indicator": indicator,
                    "comparator": comparator,
                    "value": Decimal(value),
                    "unit": unit,
                    "deadline": date.fromisoformat(deadline) if deadline else None,
                    "period": period,
                    "clause": clause,
                }
                for position, (
                    indicator,
                    comparator,
                    value,
                    unit,
                    deadline,
                    period,
                    clause,
                ) in enumerate(targets, start=1)
            ],
        )


revision: str = "programme_0002"
down_revision: str | Sequence[str] | None = "programme_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "target_set",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64, collation="C"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("document_number", sa.Text(), nullable=True, comment="文号"),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column(
            "region_code",
            sa.String(length=12, collation="C"),
            nullable=False,
            comment="the division the policy applies to (12 digits)",
        ),
        sa.Column(
            "region_prefix",
            sa.String(length=12, collation="C"),
            nullable=False,
            comment="its significant digits",
        ),
        sa.Column("preset", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_set")),
        sa.UniqueConstraint("code", name=op.f("uq_target_set_code")),
        schema="programme",
        info={"keep": "preset"},
    )
    op.create_table(
        "policy_target",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("target_set_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("indicator", sa.String(length=48), nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=24), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=True),
        sa.Column("clause", sa.Text(), nullable=True, comment="the policy's own words"),
        sa.CheckConstraint(
            "comparator IN ('ge','gt','le','lt','eq')", name=op.f("ck_policy_target_comparator")
        ),
        sa.ForeignKeyConstraint(
            ["target_set_id"],
            ["programme.target_set.id"],
            name=op.f("fk_policy_target_target_set_id_target_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_target")),
        sa.UniqueConstraint(
            "target_set_id", "position", name=op.f("uq_policy_target_target_set_id_position")
        ),
        schema="programme",
        info={"keep": "target_set_id IN (SELECT id FROM programme.target_set WHERE preset)"},
    )
    op.create_table(
        "target_adoption",
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("target_set_id", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["target_set_id"],
            ["programme.target_set.id"],
            name=op.f("fk_target_adoption_target_set_id_target_set"),
        ),
        sa.PrimaryKeyConstraint("county_code", "target_set_id", name=op.f("pk_target_adoption")),
        schema="programme",
    )
    _insert_presets()


def downgrade() -> None:
    op.drop_table("target_adoption", schema="programme")
    op.drop_table("policy_target", schema="programme")
    op.drop_table("target_set", schema="programme")
