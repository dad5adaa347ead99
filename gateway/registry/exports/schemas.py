"""An XLSX export job on the wire."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from gateway.registry.exports.models import ExportStatus


class ExportProblem(BaseModel):
    status: int = Field(examples=[403])
    code: str = Field(examples=["outside_scope"])
    detail: str


class ExportJob(BaseModel):
    id: uuid.UUID
    kind: str = Field(examples=["stations"], description="stations, gaps or dashboard")
    status: ExportStatus = Field(description="queued → running → done, or failed")
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows: int | None = Field(description="data rows in the workbook, once done")
    seconds: float | None = Field(description="how long the worker took to build it")
    size: int | None = Field(description="bytes of the workbook")
    note: str = Field(
        examples=["150000 行,用时 41.2 秒"], description="what happened, with the time it took"
    )
    problem: ExportProblem | None = Field(description="why it failed")
    url: str = Field(description="this job")
    file: str | None = Field(description="the workbook's download, once done")
