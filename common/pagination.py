"""Keyset (cursor) pagination.

A cursor is the sort key of the last row served, base64url-encoded JSON: opaque to clients,
stable under inserts, and cheap for the database (``WHERE (k1, k2) > (:v1, :v2) ORDER BY
k1, k2 LIMIT n+1``) however deep the page.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from common.errors import BadRequest
from common.links import public_url, request_path

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def invalid_cursor() -> BadRequest:
    return BadRequest(
        "cursor is not one this API handed out",
        detail_zh="游标无效",
        code="invalid_cursor",
        field="cursor",
        location="query",
    )


def decode_cursor(cursor: str, *, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise invalid_cursor() from e
    if not isinstance(values, list) or len(values) != arity:
        raise invalid_cursor()
    return values


def _typed(value: Any, column: ColumnElement[Any]) -> Any:
    """A decoded cursor value as its key column's type; a forged one is a 400, not a 500."""
    try:
        expected = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if expected is int and isinstance(value, int) and not isinstance(value, bool):
            if -(2**63) <= value < 2**63:  # what a bigint key holds; beyond, not ours
                return value
            raise invalid_cursor()
        if expected is str and isinstance(value, str) and "\x00" not in value:
            return value
        if expected in (date, datetime) and isinstance(value, str):
            return expected.fromisoformat(value)
        if expected is Decimal and isinstance(value, str | int | float):
            return Decimal(str(value))
    except (ValueError, InvalidOperation) as e:
        raise invalid_cursor() from e
    raise invalid_cursor()


class PageParams(BaseModel):
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


# ``async def`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the parsing it does (and far more under load).
async def page_params(
    cursor: Annotated[
        str | None, Query(description="the `next` cursor of the previous page", max_length=512)
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"page size, at most {MAX_PAGE_SIZE}")
    ] = DEFAULT_PAGE_SIZE,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


K = TypeVar("K")


def cursor_key(params: PageParams, parse: Callable[[Any], K]) -> K | None:
    """The sort key in the cursor of a list ordered by one key, as ``parse`` makes it;
    None on the first page.

    ``decode_cursor`` checks the cursor's shape only: a forged key of the wrong type would
    reach the database and fail there as a 500. ``parse`` raises ``ValueError`` or
    ``TypeError`` for a key the list never hands out, and the client gets a 400.
    """
    if params.cursor is None:
        return None
    [value] = decode_cursor(params.cursor, arity=1)
    try:
        return parse(value)
    except (ValueError, TypeError) as e:
        raise invalid_cursor() from e


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(
        default=None, description="URL of the next page; absent on the last page"
    )


def keyset(
    stmt: Select[Any], keys: Sequence[ColumnElement[Any]], params: PageParams
) -> Select[Any]:
    """Order by ``keys`` (which must be unique together), start after the cursor, fetch n+1."""
    if params.cursor is not None:
        after = decode_cursor(params.cursor, arity=len(keys))
        typed = [_typed(value, key) for value, key in zip(after, keys, strict=True)]
        stmt = stmt.where(tuple_(*keys) > tuple_(*typed))
    return stmt.order_by(*keys).limit(params.limit + 1)


def next_link(request: Request, rows: Sequence[Any], params: PageParams, key_of: Any) -> str | None:
    """The ``next`` URL when the query returned more than a page (``keyset`` asks for n+1):
    this request's own filters with the cursor after the last row served, as a public link
    (``common.links``)."""
    if len(rows) <= params.limit:
        return None
    return link_after(request, key_of(rows[params.limit - 1]))


def link_after(request: Request, key: Sequence[Any]) -> str:
    """This request's own URL with the cursor ``key`` (a list a query cannot page by
    ``keyset`` alone, such as a join across services, builds its own key)."""
    query = request.url.include_query_params(cursor=encode_cursor(key)).query
    return public_url(request, request_path(request), query)
