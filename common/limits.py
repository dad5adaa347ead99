"""How large a request body may be, by kind of route (ADR 0013).

Every route of every app takes at most :data:`BODY_LIMIT` (a station, a report, a flag
change: a few kilobytes); a bulk route says so on its decorator and takes up to
:data:`BULK_BODY_LIMIT`::

    @router.post("/reports/bulk", max_body_size=BULK_BODY_LIMIT)

A larger body is refused with 413 ``payload_too_large`` before it is read when its
``Content-Length`` says so, and as soon as the count passes the limit when it is streamed.
The gateway lets through at most :data:`BULK_BODY_LIMIT` and forwards bodies as a stream; each
app then holds its routes to their own limit.
"""

from starlette.exceptions import HTTPException

MIB = 1024 * 1024
BODY_LIMIT = 1 * MIB
# 100,000 rows of a coverage, volume or attendance upload are 20-45 MB as CSV or JSON.
BULK_BODY_LIMIT = 64 * MIB


def describe(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


class ContentTooLarge(HTTPException):
    """Raised while a body is read, so the app's handlers answer it as problem+json."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"The body is larger than {describe(limit)}")
        self.limit = limit
