"""The bulk reader (common.bulk): JSON arrays read element by element, NDJSON, CSV from
Excel (GB 18030, Chinese headers, our two-row template), per-route row limits, NUL and
deeply nested JSON refused without failing the upload, and the one answer shape."""

import codecs
import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from common.bulk import (
    BulkResult,
    BulkRow,
    BulkRowResult,
    CsvColumns,
    Source,
    iter_bulk,
    read_bulk,
)
from common.cells import AmountCell, MonthCell
from common.errors import Problem, Unprocessable

COLUMNS = CsvColumns(
    names=("code", "month", "amount"),
    labels={"code": "编码", "month": "月份", "amount": "金额(元)"},
    aliases={"统计月份": "month"},
    required=("code", "month"),
)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    month: MonthCell
    amount: AmountCell | None = None


def _convert(value: Any, source: Source) -> _Row:
    if not isinstance(value, dict):
        raise Unprocessable("a row is an object", code="expected_object", field="body")
    return _Row.model_validate(value)


def _problem(call: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        call()
    return caught.value


def test_json_array_read_element_by_element() -> None:
    body = b' [ {"code": "a", "month": "2026-08"} ,\n{"code": "b", "month": "2026/9/1"}, 7 ] '
    rows = read_bulk("application/json", body, COLUMNS, _convert)
    assert [(r.index, r.line) for r in rows] == [(1, None), (2, None), (3, None)]
    assert [r.parsed.month.month if r.parsed else None for r in rows] == [8, 9, None]
    assert rows[2].problem is not None
    assert rows[2].problem.code == "expected_object"

    for bad, code, status in [
        (b"", "malformed_json", 400),
        (b"[{", "malformed_json", 400),
        (b'[{"code": "a"} {"code": "b"}]', "malformed_json", 400),
        (b"[1, 2] x", "malformed_json", 400),
        (b'{"code": "a"}', "expected_array", 422),
        (b"[]", "empty_batch", 422),
        (b"[" * 1000 + b"]" * 1000, "malformed_json", 400),  # nested past the parser's stack
        (b"[" + b"[" * 5000 + b"]" * 5000 + b"]", "malformed_json", 400),
        (b"{" * 3000, "malformed_json", 400),
    ]:
        problem = _problem(lambda bad=bad: read_bulk("application/json", bad, COLUMNS, _convert))
        assert (problem.status, problem.code, problem.field) == (status, code, "body"), bad[:20]


def test_the_row_limit_is_the_routes() -> None:
    rows = json.dumps([{"code": "a", "month": "2026-08"}] * 100_000).encode()
    assert sum(1 for _ in iter_bulk(None, rows, COLUMNS, lambda v, s: v, max_rows=100_000)) == (
        100_000
    )
    problem = _problem(lambda: read_bulk(None, rows, COLUMNS, _convert, max_rows=99_999))
    assert (problem.code, problem.detail_zh) == ("too_many_rows", "超过 99999 行,每次最多 99999 行")
    ndjson = b'{"code": "a", "month": "2026-08"}\n' * 11
    problem = _problem(
        lambda: read_bulk("application/x-ndjson", ndjson, COLUMNS, _convert, max_rows=10)
    )
    assert problem.code == "too_many_rows"
    csv = b"code,month\n" + b"a,2026-08\n" * 11
    problem = _problem(lambda: read_bulk("text/csv", csv, COLUMNS, _convert, max_rows=10))
    assert problem.code == "too_many_rows"


def test_csv_from_chinese_excel_and_the_template() -> None:
    template = COLUMNS.template()
    assert template.startswith(codecs.BOM_UTF8)  # so that Excel opens it as UTF-8
    assert template.decode("utf-8-sig").splitlines() == ["编码,月份,金额(元)", "code,month,amount"]

    filled = template.decode("utf-8-sig") + 'x1,2026年8月,"1,234.50"\r\n,,\r\nx2,202609,\r\n'
    for body in (filled.encode("utf-8-sig"), filled.encode("gb18030")):
        rows = read_bulk("text/csv", body, COLUMNS, _convert)
        # The field-name row under the Chinese one is a header; the blank row keeps its number.
        assert [(r.index, r.line) for r in rows] == [(2, 3), (4, 5)]
        assert [r.problem for r in rows] == [None, None]
        first, second = (r.parsed for r in rows)
        assert first is not None
        assert second is not None
        assert (str(first.month), str(first.amount)) == ("2026-08-01", "1234.50")
        assert (str(second.month), second.amount) == ("2026-09-01", None)

    # Full-width brackets as a Chinese input method types them, an alias, any column order.
    sheet = "金额（元）,统计月份,编码,备注\n１２,2026/8/1,x,ignored\n".encode("gb18030")
    [row] = read_bulk("text/csv", sheet, COLUMNS, _convert)
    assert row.parsed is not None
    assert str(row.parsed.amount) == "12"

    missing = _problem(
        lambda: read_bulk("text/csv", "编码,金额\nx,1\n".encode(), COLUMNS, _convert)
    )
    assert missing.code == "missing_columns"
    assert missing.detail_zh == "CSV 表头缺少列:月份"


def test_a_row_problem_is_said_in_both_languages_with_the_column_label() -> None:
    body = "编码,月份,金额(元)\nx,2026-13,-\n".encode()
    [row] = read_bulk("text/csv", body, COLUMNS, _convert)
    assert row.problem is not None
    assert (row.problem.code, row.problem.field) == ("invalid_month", "month")
    assert row.problem.detail_zh is not None
    assert row.problem.detail_zh.startswith("月份:'2026-13' 不是有效的月份")
    assert row.problem.detail_zh.endswith("(另有 1 处错误)")
    assert [e["code"] for e in row.problem.errors] == ["invalid_month", "invalid_amount"]


def test_nul_refuses_the_row_not_the_upload() -> None:
    body = json.dumps(
        [
            {"code": "a\u0000", "month": "2026-08"},
            {"code": "b", "month": "2026-08", "note": {"x": ["\u0000"]}},
            {"code": "c", "month": "2026-08"},
        ]
    ).encode()
    rows = read_bulk("application/json", body, COLUMNS, _convert)
    assert [(r.problem.code, r.problem.field) if r.problem else None for r in rows] == [
        ("nul_character", "code"),
        ("nul_character", "note.x.0"),
        None,
    ]
    # What is echoed back from a refused row can be stored (PostgreSQL text holds no NUL).
    assert rows[0].value == {"code": "a\ufffd", "month": "2026-08"}
    csv = b"code,month\nd\x00,2026-08\ne,2026-08\n"
    rows = read_bulk("text/csv", csv, COLUMNS, _convert)
    assert [r.problem.code if r.problem else None for r in rows] == ["nul_character", None]


def _read(body: bytes, **options: Any) -> list[tuple[Any, ...]]:
    rows = read_bulk("application/json", body, COLUMNS, _convert, **options)
    return [
        (r.index, r.line, r.value, r.parsed)
        + (
            (r.problem.code, r.problem.field, r.problem.detail, r.problem.detail_zh)
            if r.problem
            else ()
        )
        for r in rows
    ]


def test_a_json_array_validated_in_batches_reads_as_row_by_row() -> None:
    """With ``json_model`` the objects of an array are validated a batch at a time: every
    row, good or bad, comes out as the row-by-row reader makes it, and so does every
    problem of the upload as a whole."""
    good = {"code": "a", "month": "2026-08", "amount": 12.5}
    values: list[Any] = [{**good, "code": f"r{i}"} for i in range(2500)]
    values[1499] = {"code": "b", "month": "2026-13"}  # a bad row in the second batch
    values[2199] = "not an object"  # and something else in the third
    body = json.dumps(values).encode()
    rows = _read(body, json_model=_Row)
    assert rows == _read(body)
    assert [r[4] for r in rows if len(r) > 4] == ["invalid_month", "expected_object"]
    assert rows[0][3] == _Row(code="r0", month="2026-08", amount="12.5")  # type: ignore[arg-type]
    nul = json.dumps([good, {**good, "code": "\u0000"}]).encode()
    assert _read(nul, json_model=_Row) == _read(nul)
    for bad in (b"", b"[1, 2] x", b'{"code": "a"}', b"[]", b"[" * 1000 + b"]" * 1000):
        with_model = _problem(lambda bad=bad: _read(bad, json_model=_Row))
        alone = _problem(lambda bad=bad: _read(bad))
        assert (with_model.code, with_model.detail) == (alone.code, alone.detail), bad[:20]
    too_many = _problem(lambda: _read(body, json_model=_Row, max_rows=2499))
    assert too_many.code == "too_many_rows"


class _Result(BulkRowResult):
    code_sent: str | None = None


def test_the_answer_shape() -> None:
    problem = Unprocessable(
        "month: not a month", detail_zh="月份:不是月份", code="invalid_month", field="month"
    )
    row: BulkRow[Any] = BulkRow(index=3, line=4, value={})
    rejected = _Result.rejected(row, problem, chinese=True, code_sent="x")
    accepted = _Result(index=1, line=2, status="created", code_sent="y")
    result = BulkResult[_Result].of([accepted, rejected], dry_run=False)
    assert result.body() == {
        "dry_run": False,
        "counts": {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1},
        "results": [
            {"index": 1, "line": 2, "status": "created", "code_sent": "y"},
            {
                "index": 3,
                "line": 4,
                "status": "rejected",
                "http_status": 422,
                "code": "invalid_month",
                "field": "month",
                "message": "月份:不是月份",
                "code_sent": "x",
            },
        ],
    }
