"""Report revisions: every document ever made, never changed (a trigger refuses UPDATE and
DELETE). A correction is a new revision of the same (document, version, division, period)
naming the one it supersedes; the same content again makes none. The columns delivery reads
are agreed in ``/work/team/reporting-contract.md`` (ADR 0081)."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base

NATION_CODE = "000000000000"  # the nation's row: no division has this code


class ReportRevision(Base):
    __tablename__ = "report_revision"
    __table_args__ = (
        UniqueConstraint(
            "document_type",
            "document_version",
            "division",
            "period",
            "revision",
            name="uq_report_revision_key",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    document_type: Mapped[str] = mapped_column(String(32))  # county-report, …
    document_version: Mapped[str] = mapped_column(String(8))  # of its JSON Schema: "1"
    division: Mapped[str] = mapped_column(String(12))  # 12 digits; the nation NATION_CODE
    period: Mapped[str] = mapped_column(String(8))  # 2026-09, 2026-Q3, 2026
    revision: Mapped[int] = mapped_column(Integer)  # 1, 2, … per document and period
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("report_revision.id"))
    # The document as canonical JSON (RFC 8785), UTF-8: the bytes hashed, read back and
    # delivered as they are.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(71))  # "sha256:" + 64 hex digits of body
    created_by: Mapped[str] = mapped_column(String(200))  # a subject; the scheduler's job
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
