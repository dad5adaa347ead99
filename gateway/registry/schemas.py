"""What every composite view says about the parts it could not get."""

from pydantic import BaseModel, Field


class PartError(BaseModel):
    """A part of a composite answer that is missing, and why, in the service's own words."""

    part: str = Field(examples=["carriers"], description="which part of the answer is missing")
    service: str = Field(examples=["logistics"])
    status: int = Field(
        examples=[503], description="the service's HTTP status, or the gateway's (502, 503, 504)"
    )
    code: str = Field(
        examples=["service_unreachable"],
        description="the service's problem code (`outside_scope`, `authentication_required` …) "
        "or the gateway's: `service_unreachable`, `service_timeout`, `service_error`",
    )
    detail: str = Field(examples=["the logistics service cannot be reached"])
