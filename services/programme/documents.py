"""What target sets and fund rule sets share: the policy document they come from, its
region, and a code to name it by."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common.fields import DivisionCode, Name

SET_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
SetCode = Annotated[
    str,
    StringConstraints(pattern=SET_CODE_PATTERN),
    Field(
        description="lower-case letters, digits and dashes, 3–64 characters",
        examples=["shanxi-2017"],
    ),
]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: SetCode
    title: Name = Field(description="the document's title")
    issuer: Name = Field(examples=["方山县人民政府"])
    document_number: Name | None = Field(default=None, description="文号")
    year: int = Field(ge=2000, le=2100)
    region_code: DivisionCode = Field(description="the division it applies to")


class DocumentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    issuer: Name | None = None
    document_number: Name | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)


class DocumentOut(BaseModel):
    code: str
    title: str
    issuer: str
    document_number: str | None
    year: int
    region_code: str
    preset: bool = Field(description="bundled from a seed policy document; read-only")
    version: int
    created_at: datetime
    updated_at: datetime
