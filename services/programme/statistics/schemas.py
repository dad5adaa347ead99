"""County statistics, main rural products and the figures computed from them, on the wire.

Amounts are exact decimals answered as strings; growth and shares are fractions (0.2 is
+20 %), as every service answers rates (ADR 0040).
"""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from common.fields import Name, Text
from common.periods import PeriodKind
from services.programme.statistics.models import ProductCategory, StatisticSource


class FigureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    figure: str = Field(
        max_length=48,
        description="rural_online_retail, farm_produce_online_retail (yuan), online_shops, "
        "ecommerce_employment (whole numbers)",
        examples=["rural_online_retail"],
    )
    value: Decimal = Field(max_digits=16, decimal_places=2, examples=["128500000.00"])
    source: StatisticSource = Field(examples=["statistics_bureau"])
    source_note: Text | None = Field(default=None, examples=["县统计局2017年统计公报"])


_PUT_EXAMPLE = {
    "figures": [
        {"figure": "rural_online_retail", "value": "128500000.00", "source": "statistics_bureau"},
        {"figure": "farm_produce_online_retail", "value": "36200000", "source": "platform",
         "source_note": "阿里研究院县域报告"},
        {"figure": "online_shops", "value": 412, "source": "survey"},
    ]
}  # fmt: skip


class StatisticsPut(BaseModel):
    """Figures of one county and period; those not sent are left as they are."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PUT_EXAMPLE]})

    figures: list[FigureIn] = Field(min_length=1, max_length=4)


class StatisticOut(BaseModel):
    figure: str
    value: Decimal
    source: StatisticSource
    source_note: str | None
    revision: int = Field(description="1 for the first figure; each correction adds one")
    recorded_by: str
    recorded_at: datetime


class PeriodStatistics(BaseModel):
    county_code: str
    period: str = Field(examples=["2017"])
    period_kind: PeriodKind
    figures: list[StatisticOut]


class StatisticsList(BaseModel):
    county_code: str
    items: list[PeriodStatistics] = Field(description="by period, oldest first")


class RevisionOut(BaseModel):
    revision: int
    value: Decimal
    source: StatisticSource
    source_note: str | None
    recorded_by: str
    recorded_at: datetime


class Revisions(BaseModel):
    county_code: str
    period: str
    figure: str
    items: list[RevisionOut] = Field(description="oldest first; the last is current")


class Growth(BaseModel):
    value: Decimal | None = Field(description="sum over the counties that recorded it; yuan")
    year_before: Decimal | None = Field(
        description="the same counties' figure for the same period a year before, where they "
        "recorded both"
    )
    growth: float | None = Field(
        description="year-on-year change as a fraction (0.2 = +20 %) over the counties with "
        "both figures; null without them",
        examples=[0.2],
    )
    counties: int = Field(description="counties that recorded the period")
    compared_counties: int = Field(description="of those, the ones with the year before too")


class Count(BaseModel):
    value: Decimal | None
    counties: int


class ProductsOnline(BaseModel):
    online: int = Field(description="varieties on the main-products lists sold online")
    total: int
    rate: float | None = Field(description="online ÷ total; null without a list")


class StatisticsIndicators(BaseModel):
    division: str | None = Field(description="code prefix; absent for the nation")
    period: str
    rural_online_retail: Growth = Field(description="农村网络零售额")
    farm_produce_online_retail: Growth = Field(description="农产品网络零售额")
    online_shops: Count = Field(description="网店数")
    employment: Count = Field(description="电子商务带动就业人数")
    main_products_online: ProductsOnline = Field(
        description="主要农村产品网上销售品种占比 (the lists as they are now)"
    )


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["方山小米"])
    category: ProductCategory = Field(examples=["grain"])
    sold_online: bool = False
    channels: list[Name] = Field(
        default_factory=list,
        max_length=20,
        description="where it is sold online (shops, platforms)",
        examples=[["淘宝", "拼多多", "832平台"]],
    )


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    category: ProductCategory | None = None
    sold_online: bool | None = None
    channels: list[Name] | None = Field(default=None, max_length=20)


class ProductOut(BaseModel):
    id: int
    county_code: str
    name: str
    category: ProductCategory
    sold_online: bool
    channels: list[str]
    version: int
    updated_at: datetime


class ProductList(BaseModel):
    county_code: str
    items: list[ProductOut]
    online: int
    total: int
