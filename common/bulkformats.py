"""The three formats of a bulk upload, read row by row (used by ``common.bulk``).

- a JSON array, parsed element by element (``JSONDecoder.raw_decode``): the array never
  exists as Python objects at once;
- NDJSON, line by line, a bad line being that row's problem;
- CSV as Excel writes it: UTF-8 with or without BOM, else GB 18030; the header mapped by
  the caller's ``CsvColumns``; blank rows and our template's second header row skipped.

Each reader yields ``(index, line, value, problem)``; a problem of the whole upload is
raised as a ``Problem`` when the reader reaches it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from common.errors import BadRequest, Problem, Unprocessable

if TYPE_CHECKING:
    from common.bulk import CsvColumns

CSV_TYPES = frozenset({"text/csv", "application/csv"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
RawRow = tuple[int, int | None, Any, Problem | None]


def media_type(content_type: str | None) -> tuple[str, str | None]:
    media, _, params = (content_type or "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


def decode(body: bytes, charset: str) -> str:
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


def decode_csv(body: bytes, charset: str | None) -> str:
    """A declared charset, else UTF-8 (with or without Excel's byte order mark), else
    GB 18030: what Excel on Chinese Windows saves a CSV in unless told otherwise."""
    if charset is not None:
        return decode(body, charset)
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


def read_json(text: str, max_rows: int) -> Iterator[RawRow]:
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


def json_array(text: str, max_rows: int) -> list[Any] | None:
    """The elements of a JSON array of 1 to ``max_rows`` elements parsed in one call (the
    same parser, so the same values as ``read_json``'s); None for anything else (not an
    array, empty, too long, not JSON at all), which ``read_json`` then reads and refuses as
    it always does."""
    try:
        values = _DECODER.decode(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(values, list) or not 0 < len(values) <= max_rows:
        return None
    return values


def read_ndjson(text: str, max_rows: int) -> Iterator[RawRow]:
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


def read_csv(text: str, columns: CsvColumns, max_rows: int) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        fields = columns.fields(header)
        rows = 0
        for index, cells in enumerate(reader, start=1):
            if not "".join(cells).strip():
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
) -> RawRow:
    # An empty cell is a value not given.
    values = {
        name: value
        for name, cell in zip(fields, cells, strict=False)
        if name is not None and (value := cell.strip())
    }
    if refuse_extra and len(cells) > len(fields) and any(c.strip() for c in cells[len(fields) :]):
        problem = Unprocessable(
            f"{len(cells)} cells but the header names {len(fields)} columns",
            detail_zh=f"该行有 {len(cells)} 个单元格,但表头只有 {len(fields)} 列",
            code="csv_extra_cells",
        )
        return index, line, values, problem
    return index, line, values, None
