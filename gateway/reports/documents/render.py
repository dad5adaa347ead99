"""CSV and XLSX renderings of a document for people: the same content, labelled with the
Chinese titles its JSON Schema publishes. One sheet (or the CSV) lists every figure as
(分项, 项目, 数值) rows in the document's order; in the workbook each list in the document
(months, targets, categories, breaches) is also a table of its own, one row per item."""

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import xlsxwriter
from pydantic import BaseModel

from gateway.reports.documents.content_v1 import ReportContent

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("分项", "项目", "数值", "字段")


def _title(model: BaseModel, name: str) -> str:
    return type(model).model_fields[name].title or name


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value)
    return "" if value is None else value


def _item_label(item: BaseModel, index: int) -> str:
    for key in ("month", "category_name", "indicator_name", "kind"):
        if key in type(item).model_fields:
            return str(getattr(item, key))
    return str(index + 1)


def rows(content: ReportContent) -> Iterator[tuple[str, str, Any, str]]:
    """(section, label path, value, field path) for every leaf of the document."""

    def walk(
        model: BaseModel, section: str, labels: list[str], path: list[str]
    ) -> Iterator[tuple[str, str, Any, str]]:
        for name in type(model).model_fields:
            value = getattr(model, name)
            title = _title(model, name)
            if isinstance(value, BaseModel):
                yield from walk(value, section, [*labels, title], [*path, name])
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    item_labels = [*labels, title, _item_label(item, i)]
                    yield from walk(item, section, item_labels, [*path, name, str(i)])
            else:
                yield section, " / ".join([*labels, title]), _plain(value), ".".join([*path, name])

    for name in ReportContent.model_fields:
        value = getattr(content, name)
        title = _title(content, name)
        if isinstance(value, BaseModel):
            yield from walk(value, title, [], [name])
        else:
            yield title, title, _plain(value), name


def to_csv(content: ReportContent) -> bytes:
    """UTF-8 with a BOM: what Chinese Excel needs to open it without garbling."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows(content))
    return ("\ufeff" + out.getvalue()).encode()


def _tables(content: ReportContent) -> Iterator[tuple[str, list[str], list[list[Any]]]]:
    """Each list of items in the document as (sheet name, column labels, rows)."""
    lists = [
        (content.operations, "months"),
        (content.network, "targets"),
        (content.logistics, "volumes"),
        (content.programme, "by_category"),
        (content.programme.breaches, "by_rule"),
    ]
    for owner, name in lists:
        items: list[BaseModel] = getattr(owner, name)
        item_type = type(owner).model_fields[name].annotation.__args__[0]  # type: ignore[union-attr]
        columns = list(item_type.model_fields)
        yield (
            _title(owner, name)[:31],
            [item_type.model_fields[c].title or c for c in columns],
            [[_plain(getattr(item, c)) for c in columns] for item in items],
        )


def to_xlsx(content: ReportContent, title: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("报告")
    sheet.write_row(0, 0, [title, content.division.name, content.period.label], bold)
    sheet.write_row(1, 0, HEADERS, bold)
    for r, row in enumerate(rows(content), start=2):
        sheet.write_row(r, 0, row)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 48)
    sheet.set_column(2, 2, 18)
    for name, columns, table in _tables(content):
        ws = book.add_worksheet(name)
        ws.write_row(0, 0, columns, bold)
        for r, row in enumerate(table, start=1):
            ws.write_row(r, 0, row)
    book.close()
    return out.getvalue()
