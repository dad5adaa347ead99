"""Shapes of post-training follow-ups (培训后服务) on the wire."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.training.outcomes.models import OutcomeKind, OutcomeSource

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OutcomeIn(BaseModel):
    """What became of a trainee, and who says so."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "online_shop",
                    "occurred_on": "2026-11-02",
                    "source": "organiser_visit",
                    "platform": "淘宝",
                    "shop_name": "临县红枣小铺",
                    "shop_url": "https://shop.example.com/123",
                }
            ]
        },
    )

    kind: OutcomeKind = Field(
        description="online_shop (platform needed), station_operator (station_code needed), "
        "employed, business_started, online_sales (sales_amount needed)"
    )
    occurred_on: date
    source: OutcomeSource
    platform: Text200 | None = None
    shop_name: Text200 | None = None
    shop_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    station_code: str | None = Field(
        default=None, pattern=r"^\d{12}-\d{2}$", examples=["141124100201-01"]
    )
    employer: Text200 | None = None
    sales_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class OutcomeOut(BaseModel):
    id: int
    trainee_id: int
    kind: OutcomeKind
    occurred_on: date
    source: OutcomeSource
    platform: str | None = None
    shop_name: str | None = None
    shop_url: str | None = None
    station_code: str | None = None
    employer: str | None = None
    sales_amount: Decimal | None = None
    note: str | None = None
    recorded_by: str
    recorded_at: datetime
