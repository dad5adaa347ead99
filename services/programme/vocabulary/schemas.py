"""The indicator vocabulary on the wire (``common.indicators``)."""

from pydantic import BaseModel, Field

from common.indicators import (
    ComputingService,
    IndicatorCode,
    IndicatorDefinition,
    IndicatorKind,
    IndicatorUnit,
)


class IndicatorOut(BaseModel):
    code: IndicatorCode
    name_zh: str = Field(examples=["乡镇电子商务服务站覆盖率"])
    name_en: str = Field(examples=["township station coverage"])
    unit: IndicatorUnit
    kind: IndicatorKind = Field(
        description="stock: as of a date; flow: summed over a period; growth: a flow against "
        "the same period a year before"
    )
    service: ComputingService = Field(description="the service that computes it")
    route: str = Field(
        description="the route on that service (through the gateway, prefixed by its name)",
        examples=["GET /v1/indicators/network?division={code}"],
    )
    figure: str = Field(
        description="dotted path of the figure in the route's answer",
        examples=["township_coverage.rate"],
    )
    scale: int = Field(description="figure × scale = the value in `unit`", examples=[100])
    definition: str

    @classmethod
    def of(cls, definition: IndicatorDefinition) -> "IndicatorOut":
        return cls(
            code=definition.code,
            name_zh=definition.name_zh,
            name_en=definition.name_en,
            unit=definition.unit,
            kind=definition.kind,
            service=definition.service,
            route=definition.route,
            figure=definition.figure,
            scale=definition.scale,
            definition=definition.definition,
        )


class Vocabulary(BaseModel):
    items: list[IndicatorOut]
