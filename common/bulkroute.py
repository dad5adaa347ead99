"""The HTTP side of a bulk upload (docs/adr/0014), the same for every endpoint that takes
one: its request body in OpenAPI, ``dry_run``, the batch's ``Idempotency-Key``, and the
answer assembled row by row in upload order from what the reader and the service said.

A route reads::

    return await answer_upload(
        request, session, records=…IdempotencyRecord, subject=principal.subject,
        dry_run=dry_run, idempotency_key=idempotency_key, read=upload.read_upload,
        judge=lambda rows, zh: upload.submit_bulk(session, principal, rows, dry_run=…, zh=zh),
    )

and the upload module's ``submit_bulk`` hands its service's verdicts to ``answer_rows``.
"""

import asyncio
import gzip
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Protocol, TypeVar

import pydantic_core
from fastapi import Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common.app import GZIP_MINIMUM_SIZE
from common.bulk import BulkRow, BulkRowResult, bulk_body, collector_paused
from common.errors import Problem, wants_chinese
from common.idempotency import Idempotency, IdempotencyRecordMixin

T = TypeVar("T")
Rows = TypeVar("Rows")

DryRunQuery = Annotated[bool, Query(description="judge every row, write nothing")]


def bulk_request_body(item: type[BaseModel], example: Any) -> dict[str, Any]:
    """A bulk route's ``openapi_extra``: a JSON array of ``item``, NDJSON or CSV."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": item.model_json_schema()},
                    "example": [example],
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }


async def answer_upload(
    request: Request,
    session: AsyncSession,
    *,
    records: type[IdempotencyRecordMixin],
    subject: str,
    dry_run: bool,
    idempotency_key: str | None,
    read: Callable[[str | None, bytes], Rows],
    judge: Callable[[Rows, bool], Awaitable[dict[str, Any]]],
) -> Response:
    """Replay the batch's first answer, or read the body, ``judge`` its rows (the flag:
    messages in Chinese) and remember the answer. The rows are what ``read`` makes of the
    body: its ``BulkRow``s, or an upload read in parts as it is judged (``open_bulk``). A dry run wrote nothing: it is never
    remembered, so its key stays free for the real upload."""
    idempotency = await Idempotency.from_request(
        request, session, records, subject=subject, key=None if dry_run else idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    # Statements over 100,000-element arrays are estimated costly enough for PostgreSQL to
    # compile them first (JIT: ~0.25 s of a 0.4 s lookup), which never pays back here.
    await session.execute(text("SET LOCAL jit = off"))
    # The collector is off until the answer is made: an upload's live rows, periods and
    # answers would be walked again and again as they are made (ADR 0024).
    with collector_paused():
        rows = read(request.headers.get("content-type"), await request.body())
        body = await judge(rows, wants_chinese(request))
        # One pass in pydantic-core: the standard library's encoder takes ~5 µs a row. The
        # record keeps those bytes: the answer is not walked a second time to be kept.
        content = pydantic_core.to_json(body)
        await idempotency.remember_json(200, content)
        # Freed before the collector is back on: its first collection would otherwise walk
        # every row and result once more (a few tenths of a second for 100,000 rows).
        del rows, body
    return await _json_answer(request, content)


# The answer of a large upload is compressed here rather than by the app's gzip layer,
# which takes zlib's slowest level (9): ~0.5 s for the 11 MB answer of 100,000 rows,
# against 0.1 s at level 1 for a tenth more bytes (docs/adr/0025).
ANSWER_GZIP_LEVEL = 1


async def _json_answer(request: Request, content: bytes) -> Response:
    """The answer, gzipped when the client takes it (as the gzip layer would decide: it
    passes an answer already encoded as it is)."""
    if len(content) < GZIP_MINIMUM_SIZE or "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(content, media_type="application/json")
    # zlib lets go of the GIL: other requests go on meanwhile, as with the gzip layer.
    compressed = await asyncio.to_thread(gzip.compress, content, ANSWER_GZIP_LEVEL, mtime=0)
    return Response(
        compressed,
        media_type="application/json",
        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
    )


class Verdict(Protocol):
    """What a service says of one row it judged."""

    @property
    def row(self) -> int: ...
    @property
    def line(self) -> int | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def problem(self) -> Problem | None: ...


V = TypeVar("V", bound=Verdict)


def sent_text(value: Any, name: str, limit: int = 40) -> str | None:
    """A text field of a row as sent, cut short: to name a row that could not be read."""
    sent = value.get(name) if isinstance(value, dict) else None
    return sent[:limit] if isinstance(sent, str) else None


# A row read into its item, for a service to judge: (index, line, item).
Parsed = tuple[int, int | None, T]


async def answer_rows(
    rows: Sequence[BulkRow[T]],
    judge: Callable[[list[Parsed[T]]], Awaitable[Sequence[V]]],
    *,
    result: type[BulkRowResult],
    chinese: bool,
    dry_run: bool,
    sent: Callable[[Any], dict[str, Any]],
    naming: Callable[[V], dict[str, Any]],
    written: Callable[[V], dict[str, Any]] = lambda _: {},
) -> dict[str, Any]:
    """The answer's JSON body, one result per row in upload order. Rows the reader could
    not make into an item keep its problem, named from what was sent (``sent``); the others
    go to ``judge`` together as ``(index, line, item)`` (one call: the service batches its
    queries) and are named by
    ``naming``; accepted ones add ``written`` (an id, a version)."""
    outcomes: dict[int, dict[str, Any]] = {}
    parsed: list[Parsed[T]] = []
    for raw in rows:
        if raw.parsed is None:
            assert raw.problem is not None
            outcomes[raw.index] = _rejected(result, raw, raw.problem, chinese, sent(raw.value))
        else:
            parsed.append((raw.index, raw.line, raw.parsed))
    by_index: dict[int, BulkRow[T]] = {}
    for verdict in await judge(parsed):
        named = naming(verdict)
        if verdict.problem is not None:
            by_index = by_index or {raw.index: raw for raw in rows}
            raw = by_index[verdict.row]
            outcomes[verdict.row] = _rejected(result, raw, verdict.problem, chinese, named)
            continue
        # The accepted row in its JSON form: the fields that apply (None ones left out, as
        # ``BulkResult.body()`` leaves them), built with dict operations alone (100,000 rows).
        head = (
            {"index": verdict.row, "status": verdict.outcome}
            if verdict.line is None
            else {"index": verdict.row, "line": verdict.line, "status": verdict.outcome}
        )
        entry = head | named | written(verdict)
        if None in entry.values():
            entry = {name: value for name, value in entry.items() if value is not None}
        outcomes[verdict.row] = entry
    return bulk_body([outcomes[raw.index] for raw in rows], dry_run=dry_run)


def _rejected(
    result: type[BulkRowResult],
    row: BulkRow[Any],
    problem: Problem,
    chinese: bool,
    fields: dict[str, Any],
) -> dict[str, Any]:
    return result.rejected(row, problem, chinese=chinese, **fields).model_dump(
        mode="json", exclude_none=True
    )
