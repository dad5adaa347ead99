"""A station's whole record on the wire.

The parts are the services' own answers as they gave them to this caller (masked as they
masked them); only the reporting status and the record's frame are the registry's.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway.registry.schemas import PartError

ReportingState = Literal["reported", "overdue", "not_expected"]


class ReportingStatus(BaseModel):
    month: str = Field(examples=["2026-09"], description="the last finished month (China time)")
    state: ReportingState = Field(
        description="`reported`: its report for the month is in; `overdue`: it should have "
        "reported (operating or accepted, operating since the month or before) and has not; "
        "`not_expected`: it need not (ADR 0008)"
    )
    latest: dict[str, Any] | None = Field(
        description="its latest monthly report of the last 12 months, as "
        "`GET /stations/v1/stations/{code}/reports` answers it"
    )


class TrainedResidents(BaseModel):
    division_code: str = Field(description="the station's village (or township, county)")
    period_from: date
    period_to: date
    people_times: int
    persons: int
    poor_household_people_times: int | None = Field(
        description="null where training does not show you a village's categories (it is one)"
    )
    by_category: dict[str, dict[str, int]] | None = Field(
        description="people-times and persons by trainee category; null where training does "
        "not show them to you"
    )


class ResidentTrainees(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="residents trained or registered, as `GET /training/v1/trainees` answers "
        "them to you (in clear only inside your scope)"
    )
    more: bool = Field(description="more residents than shown: page through the trainees list")


class StationRecord(BaseModel):
    code: str = Field(examples=["141124100201-01"])
    generated_at: datetime
    partial: bool = Field(description="true when a part is missing: see `errors`")
    errors: list[PartError] = Field(description="one entry per missing part")
    station: dict[str, Any] | None = Field(
        description="as `GET /stations/v1/stations/{code}` answers it (operator masked unless "
        "you manage the station)"
    )
    reporting: ReportingStatus | None
    carriers: dict[str, Any] | None = Field(
        description="as `GET /logistics/v1/points/{code}/carriers` answers it: carriers with "
        "mode and pickups/deliveries per week"
    )
    training: TrainedResidents | None
    trainees: ResidentTrainees | None
    funding: dict[str, Any] | None = Field(
        description="as `GET /programme/v1/stations/{code}/funding` answers it: projects and "
        "disbursements naming the station"
    )
