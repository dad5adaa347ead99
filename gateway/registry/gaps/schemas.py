"""Cross-service gap lists on the wire."""

from enum import StrEnum

from pydantic import BaseModel, Field


class GapKind(StrEnum):
    POINTS_WITHOUT_CARRIER = "points-without-carrier"
    POINTS_WITHOUT_TRAINED = "points-without-trained"
    TOWNSHIPS_WITHOUT_COURIER = "townships-without-courier"
    POOR_VILLAGES_UNSERVED = "poor-villages-unserved"


class Reason(StrEnum):
    NO_CARRIER = "no_carrier"
    NOBODY_TRAINED = "nobody_trained"
    NO_COURIER = "no_courier"
    NO_OPERATING_POINT = "no_operating_point"


REASON_TEXT = {
    Reason.NO_CARRIER: ("no carrier covers its village", "没有快递公司覆盖该村"),
    Reason.NOBODY_TRAINED: ("no resident trained in the period", "本期该村无人参加电商培训"),
    Reason.NO_COURIER: (
        "no carrier covers the township or any of its villages",
        "没有快递公司覆盖该乡镇及其村",
    ),
    Reason.NO_OPERATING_POINT: (
        "no operating or accepted village point",
        "没有运营中或已验收的村级服务点",
    ),
}


class GapRow(BaseModel):
    division_code: str = Field(examples=["141102100202"])
    division_name: str | None = Field(examples=["下罗堡村委会"])
    station_code: str | None = Field(
        examples=["141102100202-01"],
        description="the station there (for a poor village: one planned, building or suspended)",
    )
    station_name: str | None
    station_status: str | None
    reasons: list[Reason] = Field(description="why it is in the list, every one that applies")
    reason: str = Field(examples=["no carrier covers its village"])
    reason_zh: str = Field(examples=["没有快递公司覆盖该村"])


class GapPage(BaseModel):
    kind: GapKind
    items: list[GapRow]
    next: str | None = Field(
        default=None,
        description="URL of the next page; absent at the end. A page may hold fewer rows than "
        "`limit` (even none) when a long stretch of the list has no gap: follow `next`",
    )
