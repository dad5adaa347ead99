"""programme: the project ledger (demonstration counties, projects, milestones, stations,
training sessions, disbursements), fund rule sets with the seed documents' presets, and the
breaches found


Revision ID: programme_0005
Revises: programme_0004
Create Date: 2026-12-01 20:59:33.399883
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

UPWARD = ["upward_standards", "upward_branding", "upward_traceability", "cold_chain"]
# code, title, issuer, document number, year, region, region prefix, rules:
# (kind, categories, station tier, amount, percent, uses, clause). Frozen here (ADR 0043).
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
            # Upward flow includes "县、乡、村三级具有服务农村产品上行功能的物流配送体系".
            ("share_min", [*UPWARD, "logistics"], None, None, "50", [],
             "中央财政资金支持农村产品上行的比例原则上不低于 50%"),
            ("share_max", ["public_service_centre"], None, None, "15", [],
             "公共服务平台建设要坚持实用、节约原则，资金使用比例原则上不得高于 15%"),
            ("forbidden_use", [], None, None, None,
             ["trading_platform", "buildings", "working_expenses", "buying_traffic"],
             "中央财政资金不得用于网络交易平台、楼堂馆所建设、工作经费及购买流量等支出"),
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
            ("category_cap", ["public_service_centre"], None, "3500000", None, [],
             "支持市级农村电子商务公共服务中心建设（不支持土建费用）不超过350万元"),
            ("forbidden_use", ["public_service_centre"], None, None, None, ["construction"],
             "支持市级农村电子商务公共服务中心建设（不支持土建费用）"),
            ("share_min", ["logistics"], None, None, "30", [],
             "支持物流体系建设不低于资金规模的30%"),
            ("investment_share_cap", ["logistics"], None, None, "50", [],
             "支持金额不超过项目总投资的50%"),
            ("project_cap", ["logistics"], None, "2000000", None, [],
             "支持单个项目最高不超过200万元"),
            ("forbidden_use", ["logistics"], None, None, None,
             ["land_purchase", "distribution_subsidy"],
             "不支持物流仓储中心土地购置费用，不支持物流配送补贴"),
            ("category_cap", ["training"], None, "2000000", None, [],
             "支持培训体系建设不超过200万元"),
            ("station_cap", [], "township", "100000", None, [],
             "支持单个乡镇电子商务站不超过10万元"),
            ("station_cap", [], "village", "30000", None, [],
             "支持单个村级电子商务点不超过3万元"),
            ("investment_share_cap", UPWARD, None, None, "50", [],
             "支持农产品品牌培育、追溯体系建设、质量保障和基础设施建设不超过单个项目投资总额的50%"),
            ("project_cap", UPWARD, None, "1000000", None, [],
             "支持单个项目最高不超过100万元"),
            ("forbidden_use", [], None, None, None, ["trading_platform", "buying_traffic"],
             "中央财政资金不得用于网络交易平台建设、购买流量等支出"),
        ],
    ),
    (
        "yeji-2017",
        "六安市叶集区人民政府关于加快电子商务发展的实施意见",
        "六安市叶集区人民政府",
        None,
        2017,
        "341504000000",
        "341504",
        [
            ("station_cap", [], "village", "20000", None, [],
             "对其在电子商务服务网点的装修装饰、购买电脑……等设备设施投入，验收后给予补助，"
             "原则上每个站点不超过2万元"),
        ],
    ),
)  # fmt: skip


def _insert_presets() -> None:
    rule_set = sa.table(
        "fund_rule_set",
        *(sa.column(c) for c in ("id", "code", "title", "issuer", "document_number", "year",
                                 "region_code", "region_prefix", "preset", "version",
                                 "created_by")),
        schema="programme",
    )  # fmt: skip
    rule = sa.table(
        "fund_rule",
        sa.column("rule_set_id"),
        sa.column("position"),
        sa.column("kind"),
        sa.column("categories", postgresql.ARRAY(sa.String(24))),
        sa.column("station_tier"),
        sa.column("amount"),
        sa.column("percent"),
        sa.column("uses", postgresql.ARRAY(sa.String(24))),
        sa.column("clause"),
        schema="programme",
    )
    bind = op.get_bind()
    for code, title, issuer, number, year, region, prefix, rules in PRESETS:
        set_id = bind.execute(
            sa.insert(rule_set)
            .values(
                code=code, title=title, issuer=issuer, document_number=number, year=year,
                region_code=region, region_prefix=prefix, preset=True, version=1,
                created_by="preset",
            )
            .returning(rule_set.c.id)
        ).scalar_one()  # fmt: skip
        bind.execute(
            sa.insert(rule),
            [
                {
                    "rule_set_id": set_id,
                    "position": position,
                    "kind": kind,
                    "categories": categories,
                    "station_tier": tier,
                    "amount": Decimal(amount) if amount else None,
                    "percent": Decimal(percent) if percent else None,
                    "uses": uses,
                    "clause": clause,
                }
                for position, (kind, categories, tier, amount, percent, uses, clause) in enumerate(
                    rules, start=1
                )
            ],
        )


revision: str = "programme_0005"
down_revision: str | Sequence[str] | None = "programme_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fund_rule_set",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64, collation="C"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("document_number", sa.Text(), nullable=True, comment="文号"),
        sa.Column("year", sa.SmallInteger(), nullable=False, comment="programme year"),
        sa.Column("region_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("region_prefix", sa.String(length=12, collation="C"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_rule_set")),
        sa.UniqueConstraint("code", name=op.f("uq_fund_rule_set_code")),
        schema="programme",
        info={"keep": "preset"},
    )
    op.create_table(
        "demonstration_county",
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("batch_year", sa.SmallInteger(), nullable=False),
        sa.Column(
            "central_funds",
            sa.Numeric(precision=14, scale=2),
            nullable=False,
            comment="中央财政资金",
        ),
        sa.Column(
            "local_funds", sa.Numeric(precision=14, scale=2), nullable=False, comment="地方配套资金"
        ),
        sa.Column("programme_start", sa.Date(), nullable=False),
        sa.Column("programme_end", sa.Date(), nullable=True),
        sa.Column(
            "fund_rule_set_id",
            sa.BigInteger(),
            nullable=True,
            comment="the rules its funds are checked on",
        ),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint(
            "central_funds >= 0 AND local_funds >= 0",
            name=op.f("ck_demonstration_county_funds_not_negative"),
        ),
        sa.CheckConstraint(
            "programme_end IS NULL OR programme_end >= programme_start",
            name=op.f("ck_demonstration_county_programme_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["fund_rule_set_id"],
            ["programme.fund_rule_set.id"],
            name=op.f("fk_demonstration_county_fund_rule_set_id_fund_rule_set"),
        ),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_demonstration_county")),
        schema="programme",
    )
    op.create_table(
        "fund_rule",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("rule_set_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column(
            "categories",
            postgresql.ARRAY(sa.String(length=24)),
            server_default="{}",
            nullable=False,
            comment="empty: every category",
        ),
        sa.Column("station_tier", sa.String(length=10), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "uses", postgresql.ARRAY(sa.String(length=24)), server_default="{}", nullable=False
        ),
        sa.Column("clause", sa.Text(), nullable=True, comment="the policy's own words"),
        sa.CheckConstraint(
            "kind IN ('share_min','share_max','category_cap','project_cap','investment_share_cap','station_cap','forbidden_use')",
            name=op.f("ck_fund_rule_kind"),
        ),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name=op.f("ck_fund_rule_amount")),
        sa.CheckConstraint(
            "percent IS NULL OR (percent >= 0 AND percent <= 100)",
            name=op.f("ck_fund_rule_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["programme.fund_rule_set.id"],
            name=op.f("fk_fund_rule_rule_set_id_fund_rule_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_rule")),
        sa.UniqueConstraint(
            "rule_set_id", "position", name=op.f("uq_fund_rule_rule_set_id_position")
        ),
        schema="programme",
        info={"keep": "rule_set_id IN (SELECT id FROM programme.fund_rule_set WHERE preset)"},
    )
    op.create_table(
        "fund_breach",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("rule_id", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False, comment="plan or paid"),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("project_code", sa.String(length=16, collation="C"), nullable=True),
        sa.Column("figure", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("limit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column(
            "detected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["programme.fund_rule.id"],
            name=op.f("fk_fund_breach_rule_id_fund_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_breach")),
        sa.UniqueConstraint(
            "county_code",
            "rule_id",
            "basis",
            "subject",
            name=op.f("uq_fund_breach_county_code_rule_id_basis_subject"),
        ),
        schema="programme",
    )
    op.create_table(
        "project",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "code", sa.String(length=16, collation="C"), nullable=False, comment="<county>-<NNN>"
        ),
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True, comment="承办单位"),
        sa.Column("company_credit_code", sa.String(length=18), nullable=True),
        sa.Column("responsible_name", sa.Text(), nullable=True, comment="personal data"),
        sa.Column(
            "responsible_phone", sa.String(length=11), nullable=True, comment="personal data"
        ),
        sa.Column("budget_central", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("budget_local", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("budget_social", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "uses", postgresql.ARRAY(sa.String(length=24)), server_default="{}", nullable=False
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
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
        sa.CheckConstraint(
            "budget_central >= 0 AND budget_local >= 0 AND budget_social >= 0",
            name=op.f("ck_project_budget_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["programme.demonstration_county.county_code"],
            name=op.f("fk_project_county_code_demonstration_county"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
        sa.UniqueConstraint("county_code", "seq", name=op.f("uq_project_county_code_seq")),
        schema="programme",
    )
    op.create_index(
        "ix_project_county_code_category",
        "project",
        ["county_code", "category"],
        unique=False,
        schema="programme",
    )
    op.create_table(
        "disbursement",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("payee", sa.Text(), nullable=False),
        sa.Column("voucher_number", sa.Text(), nullable=False, comment="凭证号"),
        sa.Column("use", sa.String(length=24), nullable=True),
        sa.Column("station_code", sa.String(length=15, collation="C"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_disbursement_amount_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["programme.project.id"],
            name=op.f("fk_disbursement_project_id_project"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement")),
        sa.UniqueConstraint(
            "county_code", "voucher_number", name=op.f("uq_disbursement_county_code_voucher_number")
        ),
        schema="programme",
    )
    op.create_index(
        "ix_disbursement_county_code_project_id",
        "disbursement",
        ["county_code", "project_id"],
        unique=False,
        schema="programme",
    )
    op.create_index(
        "ix_disbursement_project_id",
        "disbursement",
        ["project_id", "id"],
        unique=False,
        schema="programme",
    )
    op.create_table(
        "milestone",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column(
            "evidence", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["programme.project.id"], name=op.f("fk_milestone_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
        schema="programme",
    )
    op.create_index(
        "ix_milestone_project_id",
        "milestone",
        ["project_id", "id"],
        unique=False,
        schema="programme",
    )
    op.create_table(
        "project_station",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("station_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("allocation", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("linked_by", sa.Text(), nullable=False),
        sa.Column(
            "linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["programme.project.id"],
            name=op.f("fk_project_station_project_id_project"),
        ),
        sa.PrimaryKeyConstraint("project_id", "station_code", name=op.f("pk_project_station")),
        schema="programme",
    )
    op.create_table(
        "project_training_session",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("linked_by", sa.Text(), nullable=False),
        sa.Column(
            "linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["programme.project.id"],
            name=op.f("fk_project_training_session_project_id_project"),
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "session_id", name=op.f("pk_project_training_session")
        ),
        schema="programme",
    )
    _insert_presets()


def downgrade() -> None:
    op.drop_table("project_training_session", schema="programme")
    op.drop_table("project_station", schema="programme")
    op.drop_index("ix_milestone_project_id", table_name="milestone", schema="programme")
    op.drop_table("milestone", schema="programme")
    op.drop_index("ix_disbursement_project_id", table_name="disbursement", schema="programme")
    op.drop_index(
        "ix_disbursement_county_code_project_id", table_name="disbursement", schema="programme"
    )
    op.drop_table("disbursement", schema="programme")
    op.drop_index("ix_project_county_code_category", table_name="project", schema="programme")
    op.drop_table("project", schema="programme")
    op.drop_table("fund_breach", schema="programme")
    op.drop_table("fund_rule", schema="programme")
    op.drop_table("demonstration_county", schema="programme")
    op.drop_table("fund_rule_set", schema="programme")
