"""County statistics no station reports (rural and farm-produce online retail, online
shops, people employed) and each county's list of main rural products (主要农村产品)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

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
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from common.indicators import IndicatorCode
from services.programme.base import Base

CODE = String(12, collation="C")


class StatisticSource(StrEnum):
    STATISTICS_BUREAU = "statistics_bureau"  # 统计部门
    PLATFORM = "platform"  # 平台数据 (e.g. the platforms' county reports)
    SURVEY = "survey"  # 抽样调查
    OTHER = "other"


# The figures officials record, as codes of the indicator vocabulary.
RECORDED_FIGURES = (
    IndicatorCode.RURAL_ONLINE_RETAIL,
    IndicatorCode.FARM_PRODUCE_ONLINE_RETAIL,
    IndicatorCode.ONLINE_SHOPS,
    IndicatorCode.ECOMMERCE_EMPLOYMENT,
)


class CountyStatistic(Base):
    """One figure of a county for one period, at its latest revision."""

    __tablename__ = "county_statistic"
    __table_args__ = (
        UniqueConstraint("county_code", "period_kind", "period_start", "figure"),
        CheckConstraint("period_kind IN ('month','quarter','year')", name="period_kind"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(CODE, nullable=False)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    figure: Mapped[str] = mapped_column(String(48), nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    source: Mapped[str] = mapped_column(String(24), nullable=False)
    source_note: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class CountyStatisticRevision(Base):
    """Every revision of a figure, the current one included: corrections stay visible."""

    __tablename__ = "county_statistic_revision"
    __table_args__ = (UniqueConstraint("statistic_id", "revision"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    statistic_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("county_statistic.id"), nullable=False
    )
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    source: Mapped[str] = mapped_column(String(24), nullable=False)
    source_note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ProductCategory(StrEnum):
    GRAIN = "grain"  # 粮油
    FRUIT = "fruit"  # 水果干果
    VEGETABLES = "vegetables"  # 蔬菜
    LIVESTOCK = "livestock"  # 畜禽肉蛋
    AQUATIC = "aquatic"  # 水产
    TEA = "tea"  # 茶叶
    FUNGI = "fungi"  # 食用菌
    HERBS = "herbs"  # 中药材
    PROCESSED = "processed"  # 加工食品 (小米, 红枣制品 …)
    HANDICRAFTS = "handicrafts"  # 手工艺品
    OTHER = "other"


class MainProduct(Base):
    """One variety on a county's list of main rural products, and whether (and where) it
    is sold online: Shanxi 2017 wants 60 % of the varieties online."""

    __tablename__ = "main_product"
    __table_args__ = (
        UniqueConstraint("county_code", "name"),
        Index("ix_main_product_county_code_id", "county_code", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(CODE, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    sold_online: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    channels: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}", comment="where it is sold online"
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
