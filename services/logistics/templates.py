"""CSV templates of the bulk endpoints: the header a spreadsheet needs and an example row."""

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import Response

HeadersQuery = Annotated[
    Literal["en", "zh"],
    Query(description="column names in English (as the API names fields) or in Chinese"),
]


def csv_template(
    columns: Sequence[str],
    example: Mapping[str, str],
    aliases: Mapping[str, str],
    *,
    headers: str,
    filename: str,
) -> Response:
    """A UTF-8 CSV with a byte order mark (so Excel shows the Chinese right), the header in
    the language asked for (the first Chinese alias of each column), and one example row."""
    zh = {}
    for alias, name in aliases.items():
        zh.setdefault(name, alias)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh.get(c, c) if headers == "zh" else c for c in columns])
    writer.writerow([example.get(c, "") for c in columns])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


TEMPLATE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {}}, "description": "the template, UTF-8 with a BOM"}
}
