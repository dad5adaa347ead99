"""Which documents and versions exist, and their published JSON Schemas. A change to the
content's shape is a new version module (``content_v2``) added here; old versions stay
published for the revisions made with them."""

from functools import cache
from typing import Any

from pydantic import BaseModel

from common.errors import NotFound
from gateway.reports.documents import content_v1
from gateway.reports.documents.subjects import DOCUMENT_TITLES, DocumentType

VERSIONS: dict[int, type[BaseModel]] = {1: content_v1.ReportContent}
CURRENT_VERSION = 1
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def unknown_version(document: str, version: str) -> NotFound:
    return NotFound(
        f"no document {document} version {version}; see GET /reports/v1/schemas",
        detail_zh=f"没有文件类型 {document} 的第 {version} 版",
        code="unknown_document_version",
        field="version",
        location="path",
    )


def document_type(raw: str) -> DocumentType:
    try:
        return DocumentType(raw)
    except ValueError:
        raise NotFound(
            f"no document type {raw}; see GET /reports/v1/schemas",
            detail_zh=f"没有文件类型 {raw}",
            code="unknown_document_type",
            field="document",
            location="path",
        ) from None


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model the content is made of, by name (pydantic's ``$defs`` keys)."""
    found: dict[str, type[BaseModel]] = {}
    stack = [root]
    while stack:
        current = stack.pop()
        if current.__name__ in found:
            continue
        found[current.__name__] = current
        for info in current.model_fields.values():
            for arg in (info.annotation, *getattr(info.annotation, "__args__", ())):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    stack.append(arg)
    return found


def _labelled(schema: dict[str, Any], root: type[BaseModel]) -> dict[str, Any]:
    """Each property's Chinese title and description, also where pydantic leaves a bare
    ``$ref`` for a field holding a model (it drops the field's own title there)."""
    for name, owner in _models(root).items():
        target = schema if owner is root else schema["$defs"][name]
        for field_name, info in owner.model_fields.items():
            prop = target["properties"][info.alias or field_name]
            prop.setdefault("title", info.title)
            prop.setdefault("description", info.description)
    return schema


@cache
def _schema(document: DocumentType, version: int, base_url: str) -> dict[str, Any]:
    content = VERSIONS[version]
    schema = _labelled(content.model_json_schema(by_alias=True, mode="serialization"), content)
    schema["properties"]["document"] = {
        **schema["properties"]["document"],
        "const": document.value,
    }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{base_url}/reports/v1/schemas/{document.value}/{version}",
        **schema,
        "title": DOCUMENT_TITLES[document],
        "x-version": version,
    }


def published_schema(raw_document: str, raw_version: str, base_url: str) -> dict[str, Any]:
    document = document_type(raw_document)
    if not (raw_version.isascii() and raw_version.isdigit()) or int(raw_version) not in VERSIONS:
        raise unknown_version(document.value, raw_version)
    return _schema(document, int(raw_version), base_url.rstrip("/"))
