"""A service's part of a station's record in one read (ADR 0076).

The gateway's station record (ADR 0070) asks each service once for everything it shows of
the station. Some pieces of a part are readable by fewer callers than the rest (a station is
public, its monthly reports are not), so a part read answers what the caller may see and,
for each piece it may not, a :class:`Refusal`: the status and problem code that piece's own
route answers the caller, its detail in the caller's language. The gateway reports each one
in the record's ``errors`` as it reports a refused call.
"""

from pydantic import BaseModel, Field
from starlette.requests import Request

from common.errors import Problem, wants_chinese


class Refusal(BaseModel):
    status: int = Field(examples=[401])
    code: str = Field(examples=["authentication_required"])
    detail: str


def refusal(problem: Problem, request: Request) -> Refusal:
    """``problem`` as the caller reads it from the piece's own route."""
    chinese = wants_chinese(request) and problem.detail_zh
    return Refusal(
        status=problem.status,
        code=problem.code,
        detail=problem.detail_zh if chinese else problem.detail,  # type: ignore[arg-type]
    )
