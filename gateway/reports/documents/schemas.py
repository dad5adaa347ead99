"""Report revisions on the wire: what the routes answer about a stored document."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SupersededRef(BaseModel):
    revision: int
    content_hash: str
    href: str = Field(description="the gateway URL of that revision")


class RevisionOut(BaseModel):
    """One stored revision of a document: the content as delivered, and what it replaces."""

    id: int = Field(description="the revision's id; delivery's `webhook-id` is `rev_<id>`")
    document: str = Field(examples=["county-report"])
    version: int = Field(examples=[1])
    division: str = Field(examples=["141102000000"], description="12 digits, or `nation`")
    period: str = Field(examples=["2026-09"])
    revision: int = Field(description="1 for the first, then 2, 3 … after corrections")
    supersedes: SupersededRef | None = Field(description="the revision this one replaces")
    content_hash: str = Field(
        examples=["sha256:9f2c…"], description="sha256 of the content's canonical JSON (RFC 8785)"
    )
    created_by: str
    created_at: datetime
    schema_url: str = Field(description="its published JSON Schema")
    href: str
    csv: str = Field(description="the same document as CSV (Chinese labels)")
    xlsx: str = Field(description="… and as an Excel workbook")
    content: dict[str, Any] = Field(
        description="the document itself, valid against `schema_url`; exactly the bytes "
        "hashed, as JSON"
    )


class RevisionSummary(BaseModel):
    id: int
    revision: int
    supersedes: int | None = Field(description="the revision number it replaces")
    content_hash: str
    created_by: str
    created_at: datetime
    href: str


class RevisionList(BaseModel):
    document: str
    version: int
    division: str
    period: str
    revisions: list[RevisionSummary] = Field(description="newest first")


class GenerationOut(RevisionOut):
    created: bool = Field(
        description="true: a new revision was made; false: the figures are those of the "
        "latest revision, which stands"
    )


class DocumentInfo(BaseModel):
    document: str
    title: str
    versions: list[int]
    current: int
    schema_url: str
