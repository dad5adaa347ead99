"""An app's OpenAPI document as the API really answers.

- every error is ``application/problem+json`` (FastAPI documents its 422 as plain JSON of
  another shape), unless the route documents a body of its own for it;
- every route behind the internal token says it may answer 401, and 403 for a role or a
  scope that does not allow it;
- every route that takes a body says it may answer 400 (malformed JSON) and 413 (larger than
  its limit, with the limit: ``x-max-body-size``); every list with a ``cursor`` (a feed's
  ``after``), 400 ``invalid_cursor``; every route that takes ``If-Match`` (``common.etag``),
  400 ``invalid_if_match``, 412 ``stale_version`` and 428 ``if_match_required``;
- a schema a route writes out itself (a bulk route's row, ``model_json_schema()`` in
  ``openapi_extra``) has its ``$defs`` moved to the components, where its ``#/$defs/…``
  references can be resolved (generated clients drop the route otherwise).

The gateway merges these documents into one (``gateway/openapi.py``).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from common.errors import PROBLEM_JSON, ProblemDetails
from common.limits import BODY_LIMIT, describe

COMPONENT_REF = "#/components/schemas/"
PROBLEM_REF = {"$ref": f"{COMPONENT_REF}ProblemDetails"}
_DEFS_REF = "#/$defs/"
INTERNAL_TOKEN_401 = "the internal token is missing, forged or expired"
# Every signed-in route may refuse a role or a division outside the caller's scope.
FORBIDDEN_403 = "`role_forbidden`, `outside_scope`: the caller's role or scope does not allow this"
MALFORMED_JSON_400 = "`malformed_json`: the body is not valid JSON"
INVALID_CURSOR_400 = "`invalid_cursor`: not a cursor this list handed out"
INVALID_IF_MATCH_400 = '`invalid_if_match`: If-Match is not an ETag (quote it: `If-Match: "4"`)'
STALE_VERSION_412 = "`stale_version`: the record changed since it was read"
IF_MATCH_REQUIRED_428 = "`if_match_required`: send If-Match with the ETag read"
_CURSORS = frozenset({"cursor", "after"})


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


def _rewrite_defs_refs(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_REF):
            return {**node, "$ref": COMPONENT_REF + names[ref[len(_DEFS_REF) :]]}
        return {key: _rewrite_defs_refs(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_defs_refs(item, names) for item in node]
    return node


def _hoist_defs(node: Any, components: dict[str, Any]) -> Any:
    """``node`` with every ``$defs`` inside it moved to ``components`` and its references
    pointed there: a definition the components hold already under its name is that one;
    another one under a taken name gets a number."""
    if isinstance(node, list):
        return [_hoist_defs(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _hoist_defs(value, components) for key, value in node.items()}
    defs = node.pop("$defs", None)
    if not defs:
        return node
    same = {name: name for name in defs}
    names: dict[str, str] = {}
    for name, definition in defs.items():
        target, n = name, 1
        while target in components and components[target] != _rewrite_defs_refs(definition, same):
            n += 1
            target = f"{name}{n}"
        names[name] = target
    for name, definition in defs.items():
        components.setdefault(names[name], _rewrite_defs_refs(definition, names))
    return _rewrite_defs_refs(node, names)


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
    schema["paths"] = _hoist_defs(schema.get("paths", {}), components)
    limits = _body_limits(app)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", {"description": INTERNAL_TOKEN_401})
                responses.setdefault("403", {"description": FORBIDDEN_403})
            parameters = {p.get("name", "").lower() for p in operation.get("parameters", [])}
            if parameters & _CURSORS:
                _add_response(responses, "400", "invalid_cursor", INVALID_CURSOR_400)
            if "if-match" in parameters:
                _add_response(responses, "400", "invalid_if_match", INVALID_IF_MATCH_400)
                _add_response(responses, "412", "stale_version", STALE_VERSION_412)
                _add_response(responses, "428", "if_match_required", IF_MATCH_REQUIRED_428)
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
