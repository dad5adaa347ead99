"""Bulk uploads: a JSON array, NDJSON, or a CSV file as a spreadsheet saves it, read into
numbered rows that each answer for themselves (docs/adr/0014-bulk-uploads.md).

The people who upload are county and township staff working in Excel, so CSV is taken as
Excel on Chinese Windows writes it (GB 18030 without a byte order mark, or UTF-8 with one)
and under Chinese headers (each column's ``label`` and ``aliases``). A caller supplies its
columns and a converter from one row to what its service takes. A row that cannot be read
or converted keeps its problem instead of failing the upload, and is answered with the
status, code and field the single-item endpoint would have answered.

Every bulk endpoint answers ``BulkResult``: counts, and per row its index, status and, when
rejected, the code, field and message (Chinese when asked) of its problem. Rows are read
one at a time (``iter_bulk``): the reader holds the body, never a second copy of every row.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from typing import Any, Generic, Literal, Self, TypeVar
from urllib.parse import quote

from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from common.bulkformats import (
    CSV_TYPES,
    NDJSON_TYPES,
    RawRow,
    decode,
    decode_csv,
    json_array,
    media_type,
    read_csv,
    read_json,
    read_ndjson,
)
from common.cells import normalize_text
from common.errors import (
    BadRequest,
    FieldProblem,
    InvalidValue,
    Problem,
    Unprocessable,
    UnsupportedMediaType,
    field_problem,
    localized_errors,
    validation_errors,
)
from common.guards import nul_pointer, nul_problem, scrub_nul

# The row limit of an endpoint that does not say otherwise; each endpoint passes its own
# (``max_rows``): a county's monthly reports fit in 5,000, a carrier's coverage needs 100,000.
MAX_BULK_ROWS = 5000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Source = Literal["json", "csv"]
T = TypeVar("T")

# What reading an upload may answer, for a route's ``problem_responses``.
READ_PROBLEMS: tuple[tuple[type[Problem], str], ...] = (
    (
        BadRequest,
        "`malformed_json` (also JSON nested too deep); `bad_encoding`: not the charset "
        "declared, or JSON not UTF-8; `undecodable_body`: a CSV neither UTF-8 nor GB 18030",
    ),
    (UnsupportedMediaType, "not JSON, NDJSON or CSV"),
    (
        Unprocessable,
        "`expected_array`, `empty_batch`, `too_many_rows`, `bad_csv`, `missing_columns`, "
        "`csv_unknown_column`",
    ),
)


# --- the answer ------------------------------------------------------------------------------

RowStatus = Literal["created", "updated", "unchanged", "rejected"]


class BulkRowResult(BaseModel):
    """What became of one row. An endpoint adds the fields that name its record (a station
    code and month, a division code …). In a dry run the status says what would happen."""

    index: int = Field(
        description="1-based position of the row in the upload; in a CSV, index n is the "
        "spreadsheet's row n + 1 (header and blank rows keep their numbers)",
        examples=[1],
    )
    line: int | None = Field(
        default=None, description="CSV and NDJSON: the line of the file (CSV header = 1)"
    )
    status: RowStatus = Field(examples=["rejected"])
    http_status: int | None = Field(
        default=None,
        description="rejected rows: the status the single-item endpoint would have answered",
        examples=[422],
    )
    code: str | None = Field(
        default=None, description="rejected rows: the problem's stable code", examples=["x"]
    )
    field: str | None = Field(
        default=None, description="rejected rows: the field at fault, when one is"
    )
    message: str | None = Field(
        default=None, description="rejected rows: what is wrong, in Chinese when asked"
    )
    errors: list[FieldProblem] | None = Field(
        default=None, description="rejected rows with several bad fields: each of them"
    )

    @classmethod
    def rejected(cls, row: BulkRow[Any], problem: Problem, *, chinese: bool, **fields: Any) -> Self:
        """The result of a refused row; ``chinese``: the client sent ``Accept-Language: zh``."""
        errors = problem.errors
        return cls(
            index=row.index,
            line=row.line,
            status="rejected",
            http_status=problem.status,
            code=problem.code,
            # The field the problem handler would name in a single-item answer.
            field=problem.field or (errors[0]["field"] if len(errors) == 1 else None),
            message=(problem.detail_zh or problem.detail) if chinese else problem.detail,
            errors=localized_errors(errors, chinese=chinese) if len(errors) > 1 else None,
            **fields,
        )


class BulkCounts(BaseModel):
    rows: int = Field(description="rows answered (blank spreadsheet rows are not rows)")
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @classmethod
    def of(cls, results: Iterable[BulkRowResult]) -> Self:
        counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
        rows = 0
        for result in results:
            counts[result.status] += 1
            rows += 1
        return cls(rows=rows, **counts)


R = TypeVar("R", bound=BulkRowResult)


class BulkResult(BaseModel, Generic[R]):
    """The answer of every bulk endpoint: 200 whatever became of the rows."""

    dry_run: bool = Field(description="true: nothing was written; statuses say what would be")
    counts: BulkCounts
    results: list[R] = Field(description="one per row, in the order of the upload")

    @classmethod
    def of(cls, results: list[R], *, dry_run: bool) -> Self:
        return cls(dry_run=dry_run, counts=BulkCounts.of(results), results=results)

    def body(self) -> dict[str, Any]:
        """The JSON body: fields that do not apply to a row are left out (a 100,000-row
        answer is mostly accepted rows)."""
        return self.model_dump(mode="json", exclude_none=True)


def bulk_body(results: Sequence[Mapping[str, Any]], *, dry_run: bool) -> dict[str, Any]:
    """``BulkResult(…).body()`` from rows already in their JSON form (``index``,
    ``status`` and the fields that apply, those that are None left out): for answers of
    100,000 rows, where building and dumping a model per accepted row would cost more than
    judging it. Rejected rows come from
    ``BulkRowResult.rejected(…).model_dump(mode="json", exclude_none=True)``."""
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    for result in results:
        counts[result["status"]] += 1
    return {"dry_run": dry_run, "counts": {"rows": len(results), **counts}, "results": results}


# --- the columns of a CSV, and its template -------------------------------------------------


def header_key(cell: str) -> str:
    """A header cell as matched: full-width (（元）) and ASCII ((元)) alike, any case."""
    return normalize_text(cell).lower()


@dataclass(frozen=True)
class CsvColumns:
    """The CSV header a caller understands.

    ``names`` are its fields as a header may spell them; ``labels`` the Chinese header of
    each (what the downloadable template shows, and understood in an upload); ``aliases``
    other spellings officials' spreadsheets use. All are matched whatever the case. With
    ``refuse_unknown`` a header naming anything else is refused, and so are cells beyond
    the header: where a misspelt column would silently change nothing, say so. Otherwise
    such columns (a station name for the reader's convenience …) are ignored. ``required``
    columns must be in the header; ``check`` may apply a rule of the caller's own to the
    fields found, raising its problem.
    """

    names: Sequence[str]
    labels: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    required: Sequence[str] = ()
    refuse_unknown: bool = False
    check: Callable[[Sequence[str]], None] | None = None

    def known(self) -> dict[str, str]:
        """Every header spelling (``header_key``) and the field it names."""
        known = {header_key(name): name for name in self.names}
        known |= {header_key(label): name for name, label in self.labels.items()}
        known |= {header_key(alias): name for alias, name in self.aliases.items()}
        return known

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def fields(self, header: Sequence[str]) -> list[str | None]:
        """The field each header cell names (None: ignored), or the header's problem."""
        known = self.known()
        fields: list[str | None] = []
        for raw in header:
            name = known.get(header_key(raw))
            if name is None and self.refuse_unknown:
                raise Unprocessable(
                    f"unknown column {raw!r}; known: {', '.join(self.names)}",
                    detail_zh=f"未知的列 {raw!r};可用的列:{'、'.join(map(self.label, self.names))}",
                    code="csv_unknown_column",
                    field=raw.strip() or "header",
                )
            fields.append(name)
        found = [name for name in fields if name is not None]
        missing = [name for name in self.required if name not in found]
        if missing:
            raise Unprocessable(
                f"the CSV header lacks {', '.join(missing)}",
                detail_zh=f"CSV 表头缺少列:{'、'.join(map(self.label, missing))}",
                code="missing_columns",
                errors=[
                    field_problem(
                        name,
                        "missing_column",
                        "column missing from the header",
                        detail_zh=f"表头缺少「{self.label(name)}」列",
                    )
                    for name in missing
                ],
            )
        if self.check is not None:
            self.check(found)
        return fields

    def is_header(self, cells: Sequence[str]) -> bool:
        """A row that only names columns: the second header row of our template."""
        known = self.known()
        named = [header_key(cell) for cell in cells if cell.strip()]
        return bool(named) and all(cell in known for cell in named)

    def template(self) -> bytes:
        """A CSV to fill in: the Chinese header row, then the field names, as UTF-8 with a
        byte order mark so that Excel opens it in the right encoding. Both rows are headers
        to the reader, so the file goes back as it was filled in."""
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([self.label(name) for name in self.names])
        writer.writerow(self.names)
        return codecs.BOM_UTF8 + text.getvalue().encode("utf-8")


def attachment(filename: str, filename_zh: str) -> str:
    """``Content-Disposition`` of a download: ``filename`` ASCII for old clients, the Chinese
    name in RFC 6266 ``filename*`` for the browsers that read it."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename_zh)}"


def template_response(columns: CsvColumns, filename: str, filename_zh: str) -> Response:
    """``GET …/bulk/template``: the columns' template as a download."""
    return Response(
        columns.template(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(filename, filename_zh)},
    )


TEMPLATE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a CSV template (UTF-8 with BOM): a Chinese header row, then the "
        "field names; fill in rows below and upload it as it is",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


# --- reading ---------------------------------------------------------------------------------


def json_object(value: Any) -> dict[str, Any]:
    """A row that must be a JSON object (a CSV row always is one): for a converter."""
    if not isinstance(value, dict):
        raise Unprocessable(
            "each row is a JSON object",
            detail_zh="每一行应为 JSON 对象",
            code="expected_object",
            field="body",
        )
    return value


@dataclass(slots=True)
class BulkRow(Generic[T]):
    """One row of an upload: what the caller's converter made of it, or its problem.

    ``index`` counts the rows sent from 1 (see ``BulkRowResult.index``); ``line`` is the
    line of the file for CSV and NDJSON. ``value`` is the row as sent: the JSON value, or
    the CSV's non-blank cells by field name; None when the line was not even JSON.
    """

    index: int
    line: int | None
    value: Any
    parsed: T | None = None
    problem: Problem | None = None


def read_bulk(
    content_type: str | None,
    body: bytes,
    columns: CsvColumns,
    convert: Callable[[Any, Source], T],
    *,
    max_rows: int = MAX_BULK_ROWS,
    json_model: type[BaseModel] | None = None,
) -> list[BulkRow[T]]:
    """Every row of an upload at once (see ``iter_bulk``): for uploads small enough to hold.

    ``json_model``: the model ``convert`` validates a JSON object with and does nothing
    else to (``convert(value, "json") == json_model.model_validate(value)`` for a dict).
    A JSON array is then parsed in one call and its objects validated ``JSON_BATCH`` at a
    time in one pydantic-core pass each; only a batch with a bad row in it goes through
    ``convert`` row by row, so every row gets what it got row by row. A body that may hold
    NUL, or is no array of 1 to ``max_rows`` elements, is read row by row as always."""
    with collector_paused():
        kind, text, raw = _open(content_type, body, columns, max_rows)
        if json_model is not None and kind == "json" and not _may_hold_nul(text, kind):
            values = json_array(text, max_rows)
            if values is not None:
                return _validated(values, json_model, convert, columns)
        return list(_rows(kind, text, raw, convert, columns))


# Objects validated in one pydantic-core call: large enough that the call costs nothing a
# row, small enough that a batch with a bad row in it is cheap to go through row by row.
JSON_BATCH = 1000


@cache
def _list_of(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _validated(
    values: list[Any],
    model: type[BaseModel],
    convert: Callable[[Any, Source], T],
    columns: CsvColumns,
) -> list[BulkRow[T]]:
    adapter = _list_of(model)
    rows: list[BulkRow[T]] = []
    for start in range(0, len(values), JSON_BATCH):
        batch = values[start : start + JSON_BATCH]
        items: list[Any] | None = None
        if all(type(value) is dict for value in batch):
            # Else the batch's rows one by one: each bad one keeps its own problem.
            with suppress(ValidationError):
                items = adapter.validate_python(batch)
        if items is None:
            rows += (
                _converted(start + i, None, value, None, convert, "json", columns)
                for i, value in enumerate(batch, start=1)
            )
        else:
            rows += (
                BulkRow(index=start + i, line=None, value=value, parsed=item)
                for i, (value, item) in enumerate(zip(batch, items, strict=True), start=1)
            )
    return rows


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while an upload's rows are built or judged:
    every few hundred new objects it would scan the growing heap of rows again (half the
    CPU time of reading and judging a 100,000-row sign-in sheet). Rows hold no
    reference cycles, so reference counting frees them as before; cycles made meanwhile
    wait for the next collection. Around awaits too: a pause turns the collector back on
    only if it found it on, so overlapping uploads leave it on when the first that paused
    it is done (the other then runs the rest with it on: slower, never wrong)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class OpenedBulk(Generic[T]):
    """An upload opened to be read in parts (``part``): to write each part while the next
    is read (a sign-in sheet's 100,000 rows). ``cells`` tells beforehand what was sent in
    some columns (the sessions a sheet names, to lock them in order before writing any).
    A problem with the upload as a whole is raised as ``iter_bulk`` raises it: a CSV's
    header's by ``open_bulk``, its others when the reader reaches them; JSON's by
    ``open_bulk``, which parses it whole."""

    def __init__(
        self,
        content_type: str | None,
        body: bytes,
        columns: CsvColumns,
        convert: Callable[[Any, Source], T],
        max_rows: int,
    ) -> None:
        self.kind, self._text, raw = _open(content_type, body, columns, max_rows)
        self._fields: list[str | None] = []
        self._values: list[Any] = []
        if self.kind == "csv":
            # The header's problem now, as the reader would raise it before the first row (a
            # malformed or missing header: the reader's own problem, when it reaches it).
            with suppress(csv.Error):
                header = next(csv.reader(io.StringIO(self._text, newline=""), strict=True), None)
                if header is not None:
                    self._fields = columns.fields(header)
        else:
            # JSON is parsed first (the rows' values are what ``cells`` reads).
            listed = list(raw)
            self._values = [value for _, _, value, _ in listed]
            raw = iter(listed)
        self._rows = _rows(self.kind, self._text, raw, convert, columns)

    def cells(self, names: Sequence[str]) -> dict[str, set[Any]]:
        """The distinct values sent under each of ``names``: a CSV's cells (stripped, as the
        reader strips them; blank ones left out) or a JSON row's values (hashable ones)."""
        found: dict[str, set[Any]] = {name: set() for name in names}
        if self.kind == "csv":
            wanted = [(i, found[name]) for i, name in enumerate(self._fields) if name in found]
            reader = csv.reader(io.StringIO(self._text, newline=""), strict=True)
            # A malformed CSV is refused by the reader, at its line.
            with suppress(csv.Error):
                next(reader, None)
                for cells in reader:
                    for i, values in wanted:
                        if i < len(cells) and (cell := cells[i].strip()):
                            values.add(cell)
            return found
        for value in self._values:
            if isinstance(value, dict):
                for name, values in found.items():
                    sent = value.get(name)
                    with suppress(TypeError):
                        values.add(sent)
        return found

    def part(self, size: int) -> list[BulkRow[T]] | None:
        """The next ``size`` rows (fewer at the end), None when all were read."""
        rows = list(islice(self._rows, size))
        return rows or None


def open_bulk(
    content_type: str | None,
    body: bytes,
    columns: CsvColumns,
    convert: Callable[[Any, Source], T],
    *,
    max_rows: int = MAX_BULK_ROWS,
) -> OpenedBulk[T]:
    """An upload to read in parts (see ``OpenedBulk``); its rows are those of ``iter_bulk``."""
    return OpenedBulk(content_type, body, columns, convert, max_rows)


def iter_bulk(
    content_type: str | None,
    body: bytes,
    columns: CsvColumns,
    convert: Callable[[Any, Source], T],
    *,
    max_rows: int = MAX_BULK_ROWS,
) -> Iterator[BulkRow[T]]:
    """The rows of an upload one at a time, each converted by ``convert(value, source)``;
    a problem with the upload as a whole (4xx) is raised, before the first row where it can
    be seen there (encoding, header), otherwise when the reader reaches it (a JSON syntax
    error at the end, row ``max_rows + 1``): the request's transaction then writes nothing.

    ``convert`` gets a JSON value (any type: checking it is the caller's rule) or a CSV
    row's cells as text, and raises a ``Problem``, an ``InvalidValue`` or pydantic's
    ``ValidationError`` for a bad row; that row then carries the problem and the others go
    on. Process rows in batches (e.g. ``itertools.batched``) to keep memory flat.
    """
    kind, text, raw = _open(content_type, body, columns, max_rows)
    yield from _rows(kind, text, raw, convert, columns)


Kind = Literal["json", "ndjson", "csv"]


def _open(
    content_type: str | None, body: bytes, columns: CsvColumns, max_rows: int
) -> tuple[Kind, str, Iterator[RawRow]]:
    """The body's format, its text, and its raw rows (not read yet)."""
    media, charset = media_type(content_type)
    if media in CSV_TYPES:
        text = decode_csv(body, charset)
        return "csv", text, read_csv(text, columns, max_rows)
    if media in NDJSON_TYPES:
        text = decode(body, charset or "utf-8")
        return "ndjson", text, read_ndjson(text, max_rows)
    if media in ("", "application/json") or media.endswith("+json"):
        # Without a Content-Type the body is taken as JSON, as FastAPI takes a JSON body.
        text = decode(body, charset or "utf-8")
        return "json", text, read_json(text, max_rows)
    raise UnsupportedMediaType(
        f"send application/json, application/x-ndjson or text/csv, not {media}",
        detail_zh="请以 application/json、application/x-ndjson 或 text/csv 上传",
        field="Content-Type",
        location="header",
    )


def _may_hold_nul(text: str, kind: Kind) -> bool:
    # JSON spells NUL \u0000, and only rows with one need looking into.
    return "\x00" in text or (kind != "csv" and "\\u0000" in text)


def _rows(
    kind: Kind,
    text: str,
    raw: Iterator[RawRow],
    convert: Callable[[Any, Source], T],
    columns: CsvColumns,
) -> Iterator[BulkRow[T]]:
    source: Source = "csv" if kind == "csv" else "json"
    may_hold_nul = _may_hold_nul(text, kind)
    empty = True
    for index, line, value, problem in raw:
        empty = False
        if may_hold_nul and problem is None:
            value, problem = _without_nul(value)
        yield _converted(index, line, value, problem, convert, source, columns)
    if empty:
        raise Unprocessable(
            "the upload holds no rows",
            detail_zh="上传内容中没有数据行",
            code="empty_batch",
            field="body",
        )


def _without_nul(value: Any) -> tuple[Any, Problem | None]:
    """PostgreSQL text cannot hold NUL (U+0000): a row with one is refused by its field."""
    pointer = nul_pointer(value)
    if pointer is None:
        return value, None
    return scrub_nul(value), nul_problem(pointer.strip("/").replace("/", "."), "body")


def _validation_problem(error: ValidationError, columns: CsvColumns) -> Unprocessable:
    """A row that fails its schema: the first error's code and field, as a single-item
    endpoint names them, and every error when there are several."""
    errors = validation_errors(error.errors(), location="body")
    first = errors[0]
    # A row that is no object at all fails the model as a whole: there is no field to name.
    where = first["field"] if first["pointer"] != "/" else None
    more = len(errors) - 1
    detail = f"{where}: {first['detail']}" if where else first["detail"]
    detail_zh = f"{columns.label(where)}:{first['detail_zh']}" if where else first["detail_zh"]
    return Unprocessable(
        detail + (f" (and {more} more)" if more else ""),
        detail_zh=detail_zh + (f"(另有 {more} 处错误)" if more else ""),
        code=first["code"],
        field=where,
        errors=errors if more else None,
    )


def _converted(
    index: int,
    line: int | None,
    value: Any,
    problem: Problem | None,
    convert: Callable[[Any, Source], T],
    source: Source,
    columns: CsvColumns,
) -> BulkRow[T]:
    if problem is None:
        try:
            return BulkRow(index=index, line=line, value=value, parsed=convert(value, source))
        except ValidationError as e:
            problem = _validation_problem(e, columns)
        except InvalidValue as e:
            problem = Unprocessable(e.message, detail_zh=e.message_zh, code=e.code)
        except Problem as e:
            problem = e
    return BulkRow(index=index, line=line, value=value, problem=problem)
