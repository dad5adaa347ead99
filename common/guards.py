"""Checks every request of every app gets before its route runs (``create_app`` installs
them as app-wide dependencies, so a new service has them without asking).

NUL (U+0000) is refused wherever it hides — a path segment, a query parameter, a header,
any string or key of a JSON body: PostgreSQL text cannot hold it, so it would otherwise fail
deep in a query as a 500. The answer is 422 ``nul_character`` naming the field. Bulk
uploads, whose bodies the routes read themselves, refuse such a row by itself instead
(``common.bulk``).
"""

from typing import Any

from fastapi import Request

from common.errors import Unprocessable

NUL = "\x00"


def nul_pointer(value: Any, path: str = "") -> str | None:
    """The JSON pointer of the first string (or key) in ``value`` holding NUL, if any."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return f"{path}/{key}"
            found = nul_pointer(item, f"{path}/{key}")
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = nul_pointer(item, f"{path}/{i}")
            if found is not None:
                return found
    return None


def scrub_nul(value: Any) -> Any:
    """``value`` with NUL replaced (U+FFFD), so that echoing it back stores and prints."""
    if isinstance(value, str):
        return value.replace(NUL, "\ufffd")
    if isinstance(value, dict):
        return {scrub_nul(k): scrub_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_nul(item) for item in value]
    return value


def nul_problem(field: str, location: str) -> Unprocessable:
    name = field.replace(NUL, "\\u0000") or location
    return Unprocessable(
        f"{name} contains a NUL character (\\u0000), which no text may hold",
        detail_zh=f"{name} 含有空字符(\\u0000),文本中不允许出现",
        code="nul_character",
        field=name,
        location=location,
    )


def _json_body(request: Request) -> bool:
    """Whether FastAPI parsed this request's body as JSON for its route (then it is cached)."""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        return False
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media in ("", "application/json") or media.endswith("+json")


async def refuse_nul(request: Request) -> None:
    """The app-wide dependency: 422 ``nul_character`` for NUL anywhere in the request."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise nul_problem(name, "path")
    # The raw bytes first: building ``request.url`` or decoding every header just to find
    # no NUL was a few percent of a short GET.
    query: bytes = request.scope["query_string"]
    if b"\x00" in query or b"%00" in query:
        for name, value in request.query_params.multi_items():
            if NUL in name or NUL in value:
                raise nul_problem(name, "query")
    if any(b"\x00" in value for _, value in request.scope["headers"]):
        for name, value in request.headers.items():
            if NUL in value:
                raise nul_problem(name, "header")
    if _json_body(request) and b"\\u0000" in await request.body():
        pointer = nul_pointer(await request.json())  # parsed once already: cached
        if pointer is not None:
            raise nul_problem(pointer.strip("/").replace("/", "."), "body")
