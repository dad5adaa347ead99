"""One OpenAPI document for the whole API, at the gateway's ``/openapi.json`` (ADR 0012).

Built in this process from the services' own app factories (all components are one Python
distribution), not fetched from them: ``/docs`` works while a service is down, and the
document is the code the gateway ships with. Every service the gateway routes to
(``GatewaySettings.service_urls``) is in it — its app is ``services.<name>.app:create`` —
and so are the gateway's own routes (``/auth``, ``/registry`` … as they come).

What changes on the way in:
- paths get the service's prefix (``/v1/stations`` → ``/stations/v1/stations``); the
  services' ``/healthz`` and ``/readyz`` stay out (infrastructure, not API);
- the internal token the services ask for becomes what callers of the gateway present
  (:data:`SECURITY_SCHEMES`): required on writes, optional on reads (the public principal);
- a schema name FastAPI qualified with its module path (two models of one name in one
  service) gets its domain folder in front instead (``DepotsPointOut``);
- schema names stay as they are where every service means the same schema by them, and
  get the service's name in front where two services mean different ones
  (``StationsDivision`` / ``LogisticsDivision``), so no generated client loses one;
- tags get the service's name (``stations: registry``); operation ids are already
  ``<service>.<route>`` (``common.app``);
- every service operation says it may answer 502, 503 and 504 (the gateway's own problems).
"""

import importlib
import json
import typing
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic_settings import BaseSettings

from common.errors import PROBLEM_JSON
from common.openapi import PROBLEM_REF, build_openapi
from gateway.settings import GatewaySettings

GATEWAY = "gateway"
_REF_PREFIX = "#/components/schemas/"
_WRITES = frozenset({"post", "put", "patch", "delete"})
_INFRASTRUCTURE_TAGS = frozenset({"health"})

# How callers authenticate at the gateway, besides the schemes of its own routes (identity's
# OAuth2 password and client-credentials flows); every service operation accepts any of them.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A user or client token issued for the gateway "
        "(in development: `ruralnet token --role official --division 141124`).",
    },
}
USER_TOKEN_401 = (
    "`token_missing` (writes need a token), `token_invalid` or `token_expired`; "
    "`WWW-Authenticate` says which"
)
_GATEWAY_PROBLEMS = {
    "502": "`service_error`: the service broke the connection",
    "503": "`service_unreachable`: the service cannot be reached; retry after `Retry-After`",
    "504": "`service_timeout`: the service did not answer in time",
}

DESCRIPTION = """\
The whole ruralnet API through its one public entrance. Each service answers under its
prefix: `/stations/…` (divisions, the station registry, monthly reports, indicators, change
feed), `/logistics/…`, `/training/…`, `/programme/…` as they are built.

**Authentication**: `Authorization: Bearer <token>` (press *Authorize*). Reads without a
token see what the public may see; every write needs one.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code`;
send `Accept-Language: zh` for Chinese messages.

**Links** (`next`, `Link`, `Location`, `instance`) are absolute URLs of this gateway.
"""


def service_factory(name: str) -> tuple[Callable[..., FastAPI], type[BaseSettings]]:
    """The app factory of service ``name`` (``services.<name>.app:create``) and the
    settings class it takes."""
    create = importlib.import_module(f"services.{name}.app").create
    hint = typing.get_type_hints(create)["settings"]
    settings_class = next(
        arg
        for arg in typing.get_args(hint) or (hint,)
        if isinstance(arg, type) and issubclass(arg, BaseSettings)
    )
    return create, settings_class


def service_app(name: str) -> FastAPI:
    """The service's app as its factory builds it, with its settings' defaults unchecked:
    only its routes are needed here, and the gateway's environment need not hold the
    service's secrets."""
    create, settings_class = service_factory(name)
    return create(settings_class.model_construct())


def _refs(node: Any, rename: dict[str, str]) -> Any:
    """``node`` with its ``$ref``s to component schemas renamed."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
                name = value[len(_REF_PREFIX) :]
                out[key] = _REF_PREFIX + rename.get(name, name)
            else:
                out[key] = _refs(value, rename)
        return out
    if isinstance(node, list):
        return [_refs(item, rename) for item in node]
    return node


def _unqualified(name: str) -> str:
    """FastAPI's name for two models of one name in one app is their module path
    (``services__logistics__depots__schemas__PointOut``): the domain folder in front of the
    model's name instead (``DepotsPointOut``)."""
    parts = name.split("__")
    if len(parts) < 3:
        return name
    return "".join(word.capitalize() for word in parts[-3].split("_")) + parts[-1]


def _prefixed(source: str, name: str) -> str:
    return source.capitalize() + name


def component_names(schemas: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str]:
    """The merged name of each (source, schema name).

    A name two sources share stays when both mean the same schema (after their own renames,
    since a schema is only the same if what it refers to is); otherwise each source's gets
    the source's name in front. Repeated until nothing changes: a rename can make two
    schemas that referred to it differ.
    """
    names = {(source, name): _unqualified(name) for source, own in schemas.items() for name in own}
    while True:
        owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key, merged in names.items():
            owners[merged].append(key)
        changed = False
        for keys in owners.values():
            if len(keys) < 2:
                continue
            shapes = {
                json.dumps(_refs(schemas[source][name], _renames(names, source)), sort_keys=True)
                for source, name in keys
            }
            if len(shapes) > 1:
                for source, name in keys:
                    prefixed = _prefixed(source, _unqualified(name))
                    if names[(source, name)] != prefixed:
                        names[(source, name)] = prefixed
                        changed = True
        if not changed:
            return names


def _renames(names: dict[tuple[str, str], str], source: str) -> dict[str, str]:
    return {name: merged for (owner, name), merged in names.items() if owner == source}


def _service_operation(
    operation: dict[str, Any], method: str, service: str, schemes: list[str]
) -> dict[str, Any]:
    if "security" in operation:
        operation["security"] = [{scheme: []} for scheme in schemes]
        if method not in _WRITES:
            operation["security"].append({})  # anonymous: the public principal
    responses = operation.setdefault("responses", {})
    if "401" in responses:
        responses["401"]["description"] = USER_TOKEN_401
    for status, description in _GATEWAY_PROBLEMS.items():
        responses.setdefault(
            status,
            {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}},
        )
    operation["tags"] = [f"{service}: {tag}" for tag in operation.get("tags", [])] or [service]
    return operation


def merged_openapi(app: FastAPI) -> dict[str, Any]:
    """The gateway's document: its own routes and every service's, built once."""
    if app.openapi_schema:
        return app.openapi_schema
    settings: GatewaySettings = app.state.settings
    documents = {GATEWAY: build_openapi(app)}
    for service in settings.service_urls():
        documents[service] = service_app(service).openapi()
    schemas = {
        source: document.get("components", {}).get("schemas", {})
        for source, document in documents.items()
    }
    names = component_names(schemas)
    gateway_document = documents[GATEWAY]
    merged: dict[str, Any] = {
        "openapi": gateway_document["openapi"],
        "info": {"title": app.title, "version": app.version, "description": DESCRIPTION},
        "servers": [{"url": settings.public_base, "description": "this gateway"}],
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {
                **gateway_document.get("components", {}).get("securitySchemes", {}),
                **SECURITY_SCHEMES,
            },
        },
    }
    # A service route takes a token however it was obtained: identity's OAuth2 flows (the
    # gateway's own scheme, so "Authorize" signs in) or a bearer token pasted as it is.
    schemes = list(merged["components"]["securitySchemes"])
    for source, document in documents.items():
        rename = _renames(names, source)
        for name, schema in schemas[source].items():
            merged_name = rename[name]
            schema = _refs(schema, rename)  # a copy
            if schema.get("title", merged_name) != merged_name:
                # Generators name a class by the title, so it must be as unique as the name
                # (``LogisticsDivisionRef``, ``PolicyIn-Output``), or one class is dropped.
                schema["title"] = merged_name
            merged["components"]["schemas"][merged_name] = schema
        prefix = "" if source == GATEWAY else f"/{source}"
        for path, operations in document.get("paths", {}).items():
            kept = {}
            for method, operation in operations.items():
                if source != GATEWAY and _INFRASTRUCTURE_TAGS & set(operation.get("tags", [])):
                    continue
                operation = _refs(operation, rename)  # a copy
                kept[method] = (
                    operation
                    if source == GATEWAY
                    else _service_operation(operation, method, source, schemes)
                )
            if kept:
                merged["paths"][prefix + path] = kept
    app.openapi_schema = merged
    return merged
