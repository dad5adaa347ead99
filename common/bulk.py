"""Bulk uploads: a JSON array, NDJSON, or a CSV file as a spreadsheet saves it, read into
numbered rows that each answer for themselves.

The people who upload are county and township staff working in Excel, so CSV is taken as
Excel on Chinese Windows writes it (GB 18030 without a byte order mark, or UTF-8 with one)
and under the Chinese headers the caller lists as aliases. A caller supplies its columns and
a converter from one row to what its service takes. A row that cannot be read or converted
keeps its problem instead of failing the upload, and is answered with the status, code and
field the single-item endpoint would have answered (``RowProblem.of``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, Field, ValidationError

from common.errors import (
    BadRequest,
    FieldProblem,
    Problem,
    Unprocessable,
    UnsupportedMediaType,
    field_problem,
)

MAX_BULK_ROWS = 5000
CSV_TYPES = frozenset({"text/csv", "application/csv"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})

Source = Literal["json", "csv"]
T = TypeVar("T")

# What reading an upload may answer, for a route's ``problem_responses``.
READ_PROBLEMS: tuple[tuple[type[Problem], str], ...] = (
    (
        BadRequest,
        "`malformed_json`; `bad_encoding`: not the charset declared, or JSON not UTF-8; "
        "`undecodable_body`: a CSV neither UTF-8 nor GB 18030",
    ),
    (UnsupportedMediaType, "not JSON, NDJSON or CSV"),
    (Unprocessable, "`expected_array`, `empty_batch`, `too_many_rows`, `bad_csv`"),
)


class RowProblem(BaseModel):
    """Why one row was refused: the status, code and field the single-item endpoint would
    have answered, so a client handles a row as it handles that endpoint."""

    status: int = Field(examples=[422])
    code: str = Field(examples=["invalid_division_code"])
    field: str | None = Field(default=None, examples=["code"])
    detail: str = Field(examples=["'14112' is not a 12-digit statistical division code"])

    @classmethod
    def of(cls, problem: Problem, *, chinese: bool = False) -> Self:
        """``chinese``: the client asked for Chinese (``Accept-Language: zh``)."""
        return cls.model_validate(_row_fields(problem, chinese))


class RowProblemWithErrors(RowProblem):
    """A row problem that also lists every bad field when there are several."""

    errors: list[FieldProblem] | None = None

    @classmethod
    def of(cls, problem: Problem, *, chinese: bool = False) -> Self:
        errors = problem.errors if len(problem.errors) > 1 else None
        return cls.model_validate(_row_fields(problem, chinese) | {"errors": errors})


def _row_fields(problem: Problem, chinese: bool) -> dict[str, Any]:
    errors = problem.errors
    return {
        "status": problem.status,
        "code": problem.code,
        # The field the problem handler would name in a single-item answer.
        "field": problem.field or (errors[0]["field"] if len(errors) == 1 else None),
        "detail": (problem.detail_zh or problem.detail) if chinese else problem.detail,
    }


@dataclass(frozen=True)
class CsvColumns:
    """The CSV header a caller understands.

    ``names`` are its fields as a header may spell them; ``aliases`` other spellings (the
    Chinese headers of officials' spreadsheets), both matched whatever the case. With
    ``refuse_unknown`` a header naming anything else is refused, and so are cells beyond
    the header: where a misspelt column would silently change nothing, say so. Otherwise
    such columns (a station name for the reader's convenience …) are ignored. ``required``
    columns must be in the header; ``check`` may apply a rule of the caller's own to the
    fields found, raising its problem.
    """

    names: Sequence[str]
    aliases: Mapping[str, str] = field(default_factory=dict)
    required: Sequence[str] = ()
    refuse_unknown: bool = False
    check: Callable[[Sequence[str]], None] | None = None

    def fields(self, header: Sequence[str]) -> list[str | None]:
        """The field each header cell names (None: ignored), or the header's problem."""
        known = {name.lower(): name for name in self.names}
        known |= {alias.strip().lower(): name for alias, name in self.aliases.items()}
        fields: list[str | None] = []
        for raw in header:
            name = known.get(raw.strip().lower())
            if name is None and self.refuse_unknown:
                raise Unprocessable(
                    f"unknown column {raw!r}; known: {', '.join(self.names)}",
                    detail_zh=f"未知的列 {raw!r}",
                    code="csv_unknown_column",
                    field=raw.strip() or "header",
                )
            fields.append(name)
        found = [name for name in fields if name is not None]
        missing = [name for name in self.required if name not in found]
        if missing:
            raise Unprocessable(
                f"the CSV header lacks {', '.join(missing)}",
                detail_zh=f"CSV 缺少列:{', '.join(missing)}",
                code="missing_columns",
                errors=[
                    field_problem(name, "missing_column", "column missing from the header")
                    for name in missing
                ],
            )
        if self.check is not None:
            self.check(found)
        return fields


@dataclass(frozen=True)
class BulkRow(Generic[T]):
    """One row of an upload: what the caller's converter made of it, or its problem.

    ``row`` counts the rows sent from 1 (in a CSV the header is not counted and a blank
    spreadsheet row keeps its number, so row n is the spreadsheet's line n + 1); ``line`` is
    the line of the file for CSV and NDJSON. ``value`` is the row as sent: the JSON value,
    or the CSV's non-blank cells by field name; None when the line was not even JSON.
    """

    row: int
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
    """The rows of an upload, each converted by ``convert(value, source)``, or the problem
    with the upload as a whole (4xx).

    ``convert`` gets a JSON value (any type: checking it is the caller's rule) or a CSV
    row's cells as text, and raises a ``Problem`` or pydantic's ``ValidationError`` for a
    bad row; that row then carries the problem and the others go on.
    """
    media, charset = _media_type(content_type)
    source: Source
    if media in CSV_TYPES:
        source, rows = "csv", _read_csv(_decode_csv(body, charset), columns, max_rows)
    elif media in NDJSON_TYPES:
        source, rows = "json", _read_ndjson(_decode(body, charset or "utf-8"), max_rows)
    elif media in ("", "application/json") or media.endswith("+json"):
        # Without a Content-Type the body is taken as JSON, as FastAPI takes a JSON body.
        source, rows = "json", _read_json(_decode(body, charset or "utf-8"), max_rows)
    else:
        raise UnsupportedMediaType(
            f"send application/json, application/x-ndjson or text/csv, not {media}",
            detail_zh="请以 application/json、application/x-ndjson 或 text/csv 上传",
            field="Content-Type",
            location="header",
        )
    if not rows:
        raise Unprocessable(
            "the upload holds no rows",
            detail_zh="上传内容中没有数据行",
            code="empty_batch",
            field="body",
        )
    return [_converted(row, convert, source) for row in rows]


def _validation_problem(error: ValidationError) -> Unprocessable:
    """A row that fails its schema: the first error's code and field, as a single-item
    endpoint names them, and every error when there are several."""
    errors = []
    for item in error.errors():
        parts = [str(p) for p in item.get("loc", ())]
        errors.append(
            {
                "location": "body",
                "pointer": "/" + "/".join(parts),
                "field": ".".join(parts) or "body",
                "code": str(item.get("type", "invalid")),
                "detail": str(item.get("msg", "invalid value")),
            }
        )
    first = errors[0]
    # A row that is no object at all fails the model as a whole: there is no field to name.
    where = first["field"] if first["pointer"] != "/" else None
    detail = f"{where}: {first['detail']}" if where else first["detail"]
    return Unprocessable(
        detail + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        code=first["code"],
        field=where,
        errors=errors if len(errors) > 1 else None,
    )


# --- reading ---------------------------------------------------------------------------------


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


def _read_json(text: str, max_rows: int) -> list[BulkRow[Any]]:
    try:
        # Decimal: amounts keep every fen they were sent with.
        document = json.loads(text, parse_float=Decimal)
    except ValueError as e:
        raise BadRequest(
            f"The body is not valid JSON: {e}",
            detail_zh=f"请求体不是有效的 JSON:{e}",
            code="malformed_json",
            field="body",
        ) from e
    if not isinstance(document, list):
        raise Unprocessable(
            "the body must be a JSON array of rows",
            detail_zh="请求体应为 JSON 数组",
            code="expected_array",
            field="body",
        )
    if len(document) > max_rows:
        raise _too_many(max_rows)
    return [BulkRow(row=i, line=None, value=item) for i, item in enumerate(document, start=1)]


def _read_ndjson(text: str, max_rows: int) -> list[BulkRow[Any]]:
    rows: list[BulkRow[Any]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(rows) >= max_rows:
            raise _too_many(max_rows)
        try:
            item = json.loads(raw, parse_float=Decimal)
        except ValueError as e:
            problem = BadRequest(
                f"not valid JSON: {e}",
                detail_zh=f"不是有效的 JSON:{e}",
                code="malformed_json",
                field="body",
            )
            rows.append(BulkRow(row=len(rows) + 1, line=line, value=None, problem=problem))
            continue
        rows.append(BulkRow(row=len(rows) + 1, line=line, value=item))
    return rows


def _read_csv(text: str, columns: CsvColumns, max_rows: int) -> list[BulkRow[Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        fields = columns.fields(header)
        rows: list[BulkRow[Any]] = []
        for index, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue  # a blank spreadsheet row
            if len(rows) >= max_rows:
                raise _too_many(max_rows)
            rows.append(_csv_row(index, reader.line_num, fields, cells, columns.refuse_unknown))
        return rows
    except csv.Error as e:
        raise Unprocessable(
            f"the CSV cannot be read at line {reader.line_num}: {e}",
            detail_zh=f"CSV 第 {reader.line_num} 行格式错误",
            code="bad_csv",
            field="body",
        ) from e


def _csv_row(
    index: int, line: int, fields: list[str | None], cells: list[str], refuse_extra: bool
) -> BulkRow[Any]:
    by_field = dict(zip(fields, (cell.strip() for cell in cells), strict=False))
    # An empty cell is a value not given.
    values = {name: value for name, value in by_field.items() if name is not None and value}
    extra = cells[len(fields) :]
    if refuse_extra and any(cell.strip() for cell in extra):
        problem = Unprocessable(
            f"{len(cells)} cells but the header names {len(fields)} columns",
            detail_zh=f"该行有 {len(cells)} 个单元格,但表头只有 {len(fields)} 列",
            code="csv_extra_cells",
        )
        return BulkRow(row=index, line=line, value=values, problem=problem)
    return BulkRow(row=index, line=line, value=values)


def _converted(
    row: BulkRow[Any], convert: Callable[[Any, Source], T], source: Source
) -> BulkRow[T]:
    if row.problem is not None:
        return row
    try:
        parsed = convert(row.value, source)
    except ValidationError as e:
        problem: Problem = _validation_problem(e)
    except Problem as e:
        problem = e
    else:
        return BulkRow(row=row.row, line=row.line, value=row.value, parsed=parsed)
    return BulkRow(row=row.row, line=row.line, value=row.value, problem=problem)
