"""An XLSX export asked for and built later by the job worker (ADR 0073): who asked (the
principal the job acts as), what, and the finished file."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from gateway.base import Base


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RegistryExport(Base):
    __tablename__ = "registry_export"
    __table_args__ = (Index("ix_registry_export_owner_requested_at", "owner", "requested_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The subject of the token that asked: only it reads the job and its file.
    owner: Mapped[str] = mapped_column(String(200))
    # What the job acts as when it reads the services: the principal as the token said, a
    # machine's scopes, the language of headers and messages.
    principal: Mapped[dict[str, Any]] = mapped_column(JSONB)
    scopes: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    language: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # stations, gaps, dashboard
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    filename: Mapped[str] = mapped_column(String(200))
    filename_zh: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=ExportStatus.QUEUED)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None] = mapped_column(BigInteger)
    # Why it failed: the problem's status, code and detail (in the asker's language).
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The workbook; read in slices when downloaded, never loaded with the row.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
