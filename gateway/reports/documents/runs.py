"""Generation runs: what ``reports.generate`` does, as a plain async function the queue's
job calls (ADR 0080, 0081; reporting-contract.md).

A payload names a document type, a period and ``division``: one division of the type's level
(a county for ``county-report``) — its document is made or confirmed — or a code prefix
(``""`` or ``000000000000`` the nation, ``14`` Shanxi), which the run answers with one
payload per division of that level under it, for the job to enqueue: a run over every
county then survives a worker restart without redoing what is done, and spreads over the
workers.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from common.identifiers import DivisionLevel, division_level, normalize_division_code
from common.months import add_months, china_today, current_month
from common.pagination import MAX_PAGE_SIZE
from gateway.registry.upstream import open_upstream
from gateway.reports.documents import service
from gateway.reports.documents.catalogue import CURRENT_VERSION, document_type
from gateway.reports.documents.context import reports_reader
from gateway.reports.documents.figures import Reader
from gateway.reports.documents.models import NATION_CODE
from gateway.reports.documents.subjects import DocumentType, closed_period, subject_of
from gateway.settings import GatewaySettings

GENERATE = "reports.generate"
CREATED_BY = f"job:{GENERATE}"
_LEVELS = {
    DocumentType.COUNTY: DivisionLevel.COUNTY,
    DocumentType.PREFECTURE: DivisionLevel.PREFECTURE,
    DocumentType.PROVINCE: DivisionLevel.PROVINCE,
}
Payload = dict[str, Any]
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def payload_of(document: DocumentType, division: str, period: str) -> Payload:
    return {
        "document_type": document.value,
        "document_version": str(CURRENT_VERSION),
        "division": division,
        "period": period,
    }


def monthly_payload(now: datetime) -> Payload:
    """Every county's report of the last month that has ended in China."""
    last = add_months(current_month(now), -1)
    return payload_of(DocumentType.COUNTY, "", f"{last:%Y-%m}")


async def divisions_under(reader: Reader, level: DivisionLevel, prefix: str) -> list[str]:
    """The current divisions of ``level`` under ``prefix`` (every one for ""), by code."""
    params: dict[str, Any] = {"level": level.value, "limit": MAX_PAGE_SIZE}
    if prefix:
        params["under"] = prefix
    codes: list[str] = []
    while True:
        page = await reader.upstream.get(
            reader.caller, "stations", "/v1/divisions", params, part="divisions"
        )
        codes.extend(item["code"] for item in page["items"])
        if not page.get("next"):
            return codes
        params = {**params, "cursor": httpx.URL(page["next"]).params["cursor"]}


def _one(document: DocumentType, division: str) -> bool:
    if document is DocumentType.NATION:
        return True
    if division in ("", NATION_CODE):
        return False
    return division_level(normalize_division_code(division)) is _LEVELS[document]


async def run(
    settings: GatewaySettings,
    sessions: Sessions,
    payload: Payload,
    *,
    now: datetime,
    request_id: str,
    hooks: list[service.RevisionHook],
) -> list[Payload]:
    """Make (or confirm) the payload's document, or answer the payloads to fan out into."""
    document = document_type(str(payload["document_type"]))
    version = str(payload.get("document_version", CURRENT_VERSION))
    if version != str(CURRENT_VERSION):
        raise ValueError(f"{document} version {version} is not made any more")
    period = closed_period(str(payload["period"]), today=china_today(now))
    division = str(payload.get("division", ""))
    async with open_upstream(settings) as upstream:
        reader = reports_reader(upstream, request_id)
        if _one(document, division):
            subject = subject_of("nation" if document is DocumentType.NATION else division)
            await service.generate(sessions, reader, subject, period, CREATED_BY, hooks)
            return []
        prefix = "" if division == NATION_CODE else division
        codes = await divisions_under(reader, _LEVELS[document], prefix)
    return [payload_of(document, code, period.label) for code in codes]
