"""The stations part of a station's record, on the wire."""

from pydantic import BaseModel, Field

from common.recordparts import Refusal
from services.stations.registry.schemas import StationOut
from services.stations.reports.schemas import MonthlyReportOut


class StationRecordPart(BaseModel):
    station: StationOut = Field(description="as `GET /v1/stations/{code}` answers it to you")
    month: str = Field(examples=["2026-09"], description="the last finished month (China time)")
    reports: list[MonthlyReportOut] | None = Field(
        description="its reports of the 12 months to `month`, oldest first, as "
        "`GET /v1/stations/{code}/reports` answers them; null when that route refuses you "
        "(see `refused`)"
    )
    refused: dict[str, Refusal] = Field(
        description="`reports`: why they are not shown, as their own route would refuse you"
    )
