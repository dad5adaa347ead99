"""An app's OpenAPI document as the API really answers.

- every error is ``application/problem+json`` (FastAPI documents its 422 as plain JSON of
  another shape), unless the route documents a body of its own for it;
- every route behind the internal token says it may answer 401, and 403 for a role or a
  scope that does not allow it;
- every route that takes a body says it may answer 400 (malformed JSON) and 413 (larger than
  its limit, with the limit: ``x-max-body-size``); every list with a ``cursor``, 400
  ``invalid_cursor``.

The gateway merges these documents into one (``gateway/openapi.py``).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from common.errors import PROBLEM_JSON, ProblemDetails
from common.limits import BODY_LIMIT, describe

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
INTERNAL_TOKEN_401 = "the internal token is missing, forged or expired"
# Every signed-in route may refuse a role or a division outside the caller's scope.
FORBIDDEN_403 = "`role_forbidden`, `outside_scope`: the caller's role or scope does not allow this"
MALFORMED_JSON_400 = "`malformed_json`: the body is not valid JSON"
INVALID_CURSOR_400 = "`invalid_cursor`: not a cursor this list handed out"


def _body_limits(app: FastAPI) -> dict[str, int]:
    return {
        route.unique_id: route.max_body_size or BODY_LIMIT
        for route in iter_route_contexts(app.routes)
        if getattr(route, "unique_id", None)
    }


def _add_response(responses: dict[str, Any], status: str, code: str, description: str) -> None:
    """Say that the route may answer ``status`` with ``code``, unless it says so already."""
    entry = responses.setdefault(status, {"description": description})
    if f"`{code}`" not in entry["description"]:
        entry["description"] += f"; {description}"


def _own_error_body(response: dict[str, Any]) -> bool:
    """Whether a route documents an error answer of its own shape (``/readyz``'s 503), which
    stays as it is; any other error is problem details."""
    refs = {
        media.get("schema", {}).get("$ref", "") for media in response.get("content", {}).values()
    }
    return bool(refs - {"", PROBLEM_REF["$ref"], "#/components/schemas/HTTPValidationError"})


def openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """The app's document, built once."""
    if not app.openapi_schema:
        app.openapi_schema = build_openapi(app)
    return app.openapi_schema


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["ProblemDetails"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    limits = _body_limits(app)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", {"description": INTERNAL_TOKEN_401})
                responses.setdefault("403", {"description": FORBIDDEN_403})
            if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
                _add_response(responses, "400", "invalid_cursor", INVALID_CURSOR_400)
            if "requestBody" in operation:
                _add_response(responses, "400", "malformed_json", MALFORMED_JSON_400)
                limit = limits.get(operation["operationId"])
                if limit is not None:
                    operation["x-max-body-size"] = limit
                    _add_response(
                        responses,
                        "413",
                        "payload_too_large",
                        f"`payload_too_large`: the body is larger than {describe(limit)}",
                    )
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400 and not _own_error_body(response):
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    return schema
