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
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Literal, Self, TypeVar
from urllib.parse import quote

from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

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

# The row limit of an endpoint that does not say otherwise; each endpoint passes its own
# (``max_rows``): a county's monthly reports fit in 5,000, a carrier's coverage needs 100,000.
MAX_BULK_ROWS = 5000
CSV_TYPES = frozenset({"text/csv", "application/csv"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
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


def template_response(columns: CsvColumns, filename: str, filename_zh: str) -> Response:
    """``GET …/bulk/template``: the columns' template as a download (``filename`` ASCII,
    ``filename_zh`` the name browsers that read RFC 6266 ``filename*`` show)."""
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename_zh)}"
    return Response(
        columns.template(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": disposition},
    )


TEMPLATE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a CSV template (UTF-8 with BOM): a Chinese header row, then the "
        "field names; fill in rows below and upload it as it is",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


# --- reading ---------------------------------------------------------------------------------


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
) -> list[BulkRow[T]]:
    """Every row of an upload at once (see ``iter_bulk``): for uploads small enough to hold."""
    return list(iter_bulk(content_type, body, columns, convert, max_rows=max_rows))


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
    media, charset = _media_type(content_type)
    source: Source
    if media in CSV_TYPES:
        text = _decode_csv(body, charset)
        source, rows = "csv", _read_csv(text, columns, max_rows)
    elif media in NDJSON_TYPES:
        text = _decode(body, charset or "utf-8")
        source, rows = "json", _read_ndjson(text, max_rows)
    elif media in ("", "application/json") or media.endswith("+json"):
        # Without a Content-Type the body is taken as JSON, as FastAPI takes a JSON body.
        text = _decode(body, charset or "utf-8")
        source, rows = "json", _read_json(text, max_rows)
    else:
        raise UnsupportedMediaType(
            f"send application/json, application/x-ndjson or text/csv, not {media}",
            detail_zh="请以 application/json、application/x-ndjson 或 text/csv 上传",
            field="Content-Type",
            location="header",
        )
    # JSON spells NUL \u0000, and only rows with one need looking into.
    may_hold_nul = "\x00" in text or (source == "json" and "\\u0000" in text)
    empty = True
    for index, line, value, problem in rows:
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


_RawRow = tuple[int, int | None, Any, Problem | None]


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    media, _, params = (content_type or "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


def _decode(body: bytes, charset: str) -> str:
    """The body in the charset the client declared (JSON: UTF-8 unless declared, RFC 8259)."""
    try:
        text = body.decode("utf-8-sig" if charset.lower() in ("utf-8", "utf8") else charset)
    except (UnicodeDecodeError, LookupError) as e:
        raise BadRequest(
            f"the body is not valid {charset}",
            detail_zh=f"请求体不是有效的 {charset} 文本",
            code="bad_encoding",
            field="body",
        ) from e
    return text.removeprefix("\ufeff")


def _decode_csv(body: bytes, charset: str | None) -> str:
    """A declared charset, else UTF-8 (with or without Excel's byte order mark), else
    GB 18030: what Excel on Chinese Windows saves a CSV in unless told otherwise."""
    if charset is not None:
        return _decode(body, charset)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return body.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    raise BadRequest(
        "the CSV is neither UTF-8 nor GB 18030 text; save it as 'CSV UTF-8'",
        detail_zh="CSV 文件既不是 UTF-8 也不是 GB18030 编码,请另存为 UTF-8 编码的 CSV",
        code="undecodable_body",
        field="body",
    )


def _too_many(max_rows: int) -> Unprocessable:
    return Unprocessable(
        f"more than {max_rows} rows; send at most {max_rows} per upload",
        detail_zh=f"超过 {max_rows} 行,每次最多 {max_rows} 行",
        code="too_many_rows",
        field="body",
    )


def _malformed(reason: str) -> BadRequest:
    return BadRequest(
        f"The body is not valid JSON: {reason}",
        detail_zh=f"请求体不是有效的 JSON:{reason}",
        code="malformed_json",
        field="body",
    )


_DECODER = json.JSONDecoder(parse_float=Decimal)  # amounts keep every fen they were sent with
_WHITESPACE = re.compile(r"[ \t\n\r]*")
TOO_DEEP = "nested too deeply"


def _json_value(text: str, position: int) -> tuple[Any, int]:
    """The JSON value at ``position`` and where it ends; ``ValueError`` when there is none.
    A value nested thousands deep exhausts the parser's recursion: refused the same way."""
    try:
        return _DECODER.raw_decode(text, position)
    except RecursionError:
        raise ValueError(f"{TOO_DEEP} (char {position})") from None


def _skip_space(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]  # always matches


def _read_json(text: str, max_rows: int) -> Iterator[_RawRow]:
    """The elements of a JSON array, parsed one by one: the whole array never exists as
    Python objects at once."""
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        try:
            json.loads(text)
        except RecursionError:
            raise _malformed(TOO_DEEP) from None
        except ValueError as e:
            raise _malformed(str(e)) from e
        raise Unprocessable(
            "the body must be a JSON array of rows",
            detail_zh="请求体应为 JSON 数组",
            code="expected_array",
            field="body",
        )
    position = _skip_space(text, position + 1)
    index = 0
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            try:
                value, position = _json_value(text, position)
            except ValueError as e:
                raise _malformed(str(e)) from e
            index += 1
            if index > max_rows:
                raise _too_many(max_rows)
            yield index, None, value, None
            position = _skip_space(text, position)
            if text.startswith(",", position):
                position = _skip_space(text, position + 1)
                continue
            if text.startswith("]", position):
                position += 1
                break
            raise _malformed(str(json.JSONDecodeError("Expecting ',' delimiter", text, position)))
    if _skip_space(text, position) < len(text):
        raise _malformed(str(json.JSONDecodeError("Extra data", text, position)))


def _read_ndjson(text: str, max_rows: int) -> Iterator[_RawRow]:
    index = 0
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        index += 1
        if index > max_rows:
            raise _too_many(max_rows)
        try:
            value, end = _json_value(raw, _skip_space(raw, 0))
            if _skip_space(raw, end) < len(raw):
                raise json.JSONDecodeError("Extra data", raw, end)
        except ValueError as e:
            problem = BadRequest(
                f"not valid JSON: {e}",
                detail_zh=f"不是有效的 JSON:{e}",
                code="malformed_json",
                field="body",
            )
            yield index, line, None, problem
            continue
        yield index, line, value, None


def _read_csv(text: str, columns: CsvColumns, max_rows: int) -> Iterator[_RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        fields = columns.fields(header)
        rows = 0
        for index, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue  # a blank spreadsheet row
            if index == 1 and columns.is_header(cells):
                continue  # the field-name row under the Chinese one, as in our template
            rows += 1
            if rows > max_rows:
                raise _too_many(max_rows)
            yield _csv_row(index, reader.line_num, fields, cells, columns.refuse_unknown)
    except csv.Error as e:
        raise Unprocessable(
            f"the CSV cannot be read at line {reader.line_num}: {e}",
            detail_zh=f"CSV 第 {reader.line_num} 行格式错误",
            code="bad_csv",
            field="body",
        ) from e


def _csv_row(
    index: int, line: int, fields: list[str | None], cells: list[str], refuse_extra: bool
) -> _RawRow:
    # An empty cell is a value not given.
    values = {
        name: value
        for name, value in zip(fields, (cell.strip() for cell in cells), strict=False)
        if name is not None and value
    }
    if refuse_extra and len(cells) > len(fields) and any(c.strip() for c in cells[len(fields) :]):
        problem = Unprocessable(
            f"{len(cells)} cells but the header names {len(fields)} columns",
            detail_zh=f"该行有 {len(cells)} 个单元格,但表头只有 {len(fields)} 列",
            code="csv_extra_cells",
        )
        return index, line, values, problem
    return index, line, values, None


def _nul_pointer(value: Any, path: str = "") -> str | None:
    """The JSON pointer of the first string (or key) holding NUL, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return f"{path}/{key}"
            found = _nul_pointer(item, f"{path}/{key}")
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_pointer(item, f"{path}/{i}")
            if found is not None:
                return found
    return None


def _scrubbed(value: Any) -> Any:
    """The row with NUL replaced (U+FFFD), so that echoing it back stores and prints."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def _without_nul(value: Any) -> tuple[Any, Problem | None]:
    """PostgreSQL text cannot hold NUL (U+0000): a row with one is refused by its field."""
    pointer = _nul_pointer(value)
    if pointer is None:
        return value, None
    name = pointer.strip("/").replace("/", ".").replace("\x00", "\ufffd") or "body"
    problem = Unprocessable(
        f"{name} contains a NUL character (\\u0000), which no text may hold",
        detail_zh=f"{name} 含有空字符(\\u0000),文本中不允许出现",
        code="nul_character",
        field=name,
    )
    return _scrubbed(value), problem


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
