"""The demonstration programme's ledger (项目台账): demonstration counties, their projects
with milestones and linked stations or training sessions, and fund disbursements.

Money is ``numeric(14,2)``: exact yuan and fen, never a float.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.programme.base import Base

CODE = String(12, collation="C")
MONEY = Numeric(14, 2)


class ProjectCategory(StrEnum):
    """What a project builds, as the programme's fund rules group it."""

    PUBLIC_SERVICE_CENTRE = "public_service_centre"  # 县级电子商务公共服务中心/运营中心
    LOGISTICS = "logistics"  # 县乡村物流配送体系, 仓储配送中心
    UPWARD_STANDARDS = "upward_standards"  # 农产品标准化、认证
    UPWARD_BRANDING = "upward_branding"  # 品牌培育
    UPWARD_TRACEABILITY = "upward_traceability"  # 质量追溯
    COLD_CHAIN = "cold_chain"  # 分级、包装、预冷、初加工、冷链
    TOWNSHIP_STATIONS = "township_stations"  # 乡镇电子商务服务站
    VILLAGE_POINTS = "village_points"  # 村级电子商务服务点
    TRAINING = "training"  # 电子商务培训
    OTHER = "other"


CATEGORY_ZH = {
    ProjectCategory.PUBLIC_SERVICE_CENTRE: "公共服务中心",
    ProjectCategory.LOGISTICS: "物流配送体系",
    ProjectCategory.UPWARD_STANDARDS: "农产品标准化",
    ProjectCategory.UPWARD_BRANDING: "品牌培育",
    ProjectCategory.UPWARD_TRACEABILITY: "质量追溯",
    ProjectCategory.COLD_CHAIN: "冷链及初加工",
    ProjectCategory.TOWNSHIP_STATIONS: "乡镇服务站",
    ProjectCategory.VILLAGE_POINTS: "村级服务点",
    ProjectCategory.TRAINING: "电商培训",
    ProjectCategory.OTHER: "其他",
}


class FundSource(StrEnum):
    CENTRAL = "central"  # 中央财政资金: what the fund rules govern
    LOCAL = "local"  # 地方财政配套
    SOCIAL = "social"  # 企业自筹、社会资本


SOURCE_ZH = {
    FundSource.CENTRAL: "中央财政资金",
    FundSource.LOCAL: "地方配套",
    FundSource.SOCIAL: "社会资本",
}


class FundUse(StrEnum):
    """What money buys, as the fund rules name forbidden uses."""

    EQUIPMENT = "equipment"  # 设备
    SOFTWARE = "software"  # 软件系统
    RENOVATION = "renovation"  # 装修改造
    CONSTRUCTION = "construction"  # 土建
    BUILDINGS = "buildings"  # 楼堂馆所
    LAND_PURCHASE = "land_purchase"  # 土地购置
    TRADING_PLATFORM = "trading_platform"  # 网络交易平台
    BUYING_TRAFFIC = "buying_traffic"  # 购买流量
    WORKING_EXPENSES = "working_expenses"  # 工作经费
    DISTRIBUTION_SUBSIDY = "distribution_subsidy"  # 物流配送补贴
    TRAINING_FEES = "training_fees"  # 培训费
    PROMOTION = "promotion"  # 宣传推广
    SERVICES = "services"  # 购买服务
    OTHER = "other"


USE_ZH = {
    FundUse.EQUIPMENT: "设备",
    FundUse.SOFTWARE: "软件系统",
    FundUse.RENOVATION: "装修改造",
    FundUse.CONSTRUCTION: "土建",
    FundUse.BUILDINGS: "楼堂馆所",
    FundUse.LAND_PURCHASE: "土地购置",
    FundUse.TRADING_PLATFORM: "网络交易平台",
    FundUse.BUYING_TRAFFIC: "购买流量",
    FundUse.WORKING_EXPENSES: "工作经费",
    FundUse.DISTRIBUTION_SUBSIDY: "物流配送补贴",
    FundUse.TRAINING_FEES: "培训费",
    FundUse.PROMOTION: "宣传推广",
    FundUse.SERVICES: "购买服务",
    FundUse.OTHER: "其他",
}


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ACCEPTED = "accepted"  # 验收: final
    CANCELLED = "cancelled"  # final


class MilestoneStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class DemonstrationCounty(Base):
    """A county of the e-commerce into rural areas demonstration programme (示范县)."""

    __tablename__ = "demonstration_county"
    __table_args__ = (
        CheckConstraint("central_funds >= 0 AND local_funds >= 0", name="funds_not_negative"),
        CheckConstraint(
            "programme_end IS NULL OR programme_end >= programme_start", name="programme_dates"
        ),
    )

    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    batch_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    central_funds: Mapped[Decimal] = mapped_column(MONEY, nullable=False, comment="中央财政资金")
    local_funds: Mapped[Decimal] = mapped_column(MONEY, nullable=False, comment="地方配套资金")
    programme_start: Mapped[date] = mapped_column(Date, nullable=False)
    programme_end: Mapped[date | None] = mapped_column(Date)
    fund_rule_set_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("fund_rule_set.id"), comment="the rules its funds are checked on"
    )
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class Project(Base):
    """One project of a county's ledger, with its implementing company, responsible person
    (personal data: masked for those who do not manage the county) and budget by source."""

    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("county_code", "seq"),
        Index("ix_project_county_code_category", "county_code", "category"),
        CheckConstraint(
            "budget_central >= 0 AND budget_local >= 0 AND budget_social >= 0",
            name="budget_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(
        String(16, collation="C"), nullable=False, unique=True, comment="<county>-<NNN>"
    )
    county_code: Mapped[str] = mapped_column(
        CODE, ForeignKey("demonstration_county.county_code"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(24), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    company_name: Mapped[str | None] = mapped_column(Text, comment="承办单位")
    company_credit_code: Mapped[str | None] = mapped_column(String(18))
    responsible_name: Mapped[str | None] = mapped_column(Text, comment="personal data")
    responsible_phone: Mapped[str | None] = mapped_column(String(11), comment="personal data")
    budget_central: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    budget_local: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    budget_social: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    uses: Mapped[list[str]] = mapped_column(ARRAY(String(24)), nullable=False, server_default="{}")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ProjectStatus.PLANNED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class Milestone(Base):
    """A step of a project with its deadline, status and evidence (documents, photos,
    acceptance reports: titles and where they are kept)."""

    __tablename__ = "milestone"
    __table_args__ = (Index("ix_milestone_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("project.id"), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=MilestoneStatus.PENDING)
    completed_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default="[]"
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class ProjectStation(Base):
    """A station (from the stations service, by code) a project builds or equips, with the
    central funds allocated to it: what per-station caps are checked on."""

    __tablename__ = "project_station"

    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("project.id"), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(10), nullable=False)
    allocation: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    linked_by: Mapped[str] = mapped_column(Text, nullable=False)
    linked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ProjectTrainingSession(Base):
    """A training session (from the training service, by id) a project funds."""

    __tablename__ = "project_training_session"

    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("project.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    linked_by: Mapped[str] = mapped_column(Text, nullable=False)
    linked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class Disbursement(Base):
    """A payment of a project's funds (资金拨付), as the finance bureau's voucher records it.
    Never deleted: a mistaken one is cancelled with a reason and stops counting."""

    __tablename__ = "disbursement"
    __table_args__ = (
        UniqueConstraint("county_code", "voucher_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_disbursement_project_id", "project_id", "id"),
        Index("ix_disbursement_county_code_project_id", "county_code", "project_id"),
        # What the fund check reads of a county's payments, index-only: the central money
        # paid naming each station, and central payments by use (forbidden uses).
        Index(
            "ix_disbursement_station_paid",
            "county_code",
            "station_code",
            postgresql_include=["amount"],
            postgresql_where=text(
                "station_code IS NOT NULL AND source = 'central' AND NOT cancelled"
            ),
        ),
        Index(
            "ix_disbursement_central_use",
            "county_code",
            "use",
            postgresql_include=["project_id", "amount", "voucher_number"],
            postgresql_where=text("use IS NOT NULL AND source = 'central' AND NOT cancelled"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("project.id"), nullable=False)
    county_code: Mapped[str] = mapped_column(CODE, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    payee: Mapped[str] = mapped_column(Text, nullable=False)
    voucher_number: Mapped[str] = mapped_column(Text, nullable=False, comment="凭证号")
    use: Mapped[str | None] = mapped_column(String(24))
    station_code: Mapped[str | None] = mapped_column(String(15, collation="C"))
    note: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
