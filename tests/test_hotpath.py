"""``common.hotpath.route_query``: the query parameters of a hot route read from the route's
own functions (the routes' answers are compared in tests/stations and tests/logistics)."""

from typing import Annotated

import pytest
from fastapi import Query
from pydantic import ValidationError

from common.hotpath import route_query
from common.pagination import page_params


async def _endpoint(
    division: Annotated[str | None, Query(max_length=12)] = None,
    first: Annotated[str | None, Query(alias="from")] = None,
    unread: int = 0,
) -> None: ...


async def _also_division(division: Annotated[str, Query()]) -> None: ...


def test_parameters_come_by_their_query_name_with_their_declared_checks() -> None:
    query = route_query(_endpoint, page_params)
    assert sorted(query) == ["cursor", "division", "from", "limit"]  # not ``unread``
    assert query["limit"].validate_python("50") == 50
    for name, value in (("limit", "0"), ("limit", "501"), ("division", "1" * 13)):
        with pytest.raises(ValidationError):
            query[name].validate_python(value)


def test_a_name_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="division"):
        route_query(_endpoint, _also_division)
