"""What funds one station, on the wire."""

from pydantic import BaseModel, Field

from common.fields import Money
from services.programme.disbursements.schemas import DisbursementOut
from services.programme.ledger.models import ProjectCategory, ProjectStatus


class FundingProject(BaseModel):
    code: str = Field(examples=["141128-001"])
    name: str
    category: ProjectCategory
    status: ProjectStatus
    allocation: Money = Field(description="central funds allocated to this station")
    disbursed: Money = Field(description="payments of the project naming this station")


class StationFunding(BaseModel):
    station_code: str = Field(examples=["141128100201-01"])
    county_code: str
    projects: list[FundingProject] = Field(description="projects linked to the station, by code")
    disbursements: list[DisbursementOut] = Field(
        description="payments naming the station, oldest first, cancelled ones included (marked)"
    )
