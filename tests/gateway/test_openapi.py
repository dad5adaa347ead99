"""Item 12 of the hardening issue: one OpenAPI document at the gateway with every service's
routes under their prefixes, no two schemas under one name, clean operation ids, the
security scheme callers really use, and a docs page whose files the gateway serves itself."""

import re
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from gateway.app import create as create_gateway
from gateway.openapi import component_names, service_app
from gateway.settings import GatewaySettings
from tests.gateway.conftest import PUBLIC_URL, SERVICES, Front, fetch_document
from tests.support import closed_port, serve

OPERATION_ID = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_the_gateway_routes_every_service_it_runs() -> None:
    assert set(GatewaySettings().service_urls()) == set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_of_every_service_is_there_with_its_prefix(
    document: dict[str, Any], service: str
) -> None:
    app = service_app(service)
    for route in iter_route_contexts(app.routes):
        if not getattr(route, "include_in_schema", False) or route.path in ("/healthz", "/readyz"):
            continue
        merged = document["paths"].get(f"/{service}{route.path}")
        assert merged is not None, route.path
        for method in route.methods:
            assert merged[method.lower()]["operationId"] == f"{service}.{route.name}"


def test_operation_ids_are_unique_and_clean(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    assert "stations.create_station" in ids


def test_no_two_schemas_share_a_name_and_every_ref_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert [name for name in schemas if "__" in name] == []
    refs = set(
        re.findall(r'"#/components/schemas/([^"]+)"', httpx.Response(200, json=document).text)
    )
    assert refs - set(schemas) == set()
    for name in ("NetworkIndicators", "ReportingRate", "Sales", "IndicatorDivision"):
        assert name in schemas


def test_callers_authenticate_with_a_gateway_token(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearer"]["description"],
    }
    assert "internal" not in str(schemes).lower()
    # Identity's OAuth2 flows, so that "Authorize" in /docs signs in.
    assert schemes["ruralnet"]["flows"]["password"]["tokenUrl"] == "/auth/token"
    for path, method, operation in _operations(document):
        if not path.startswith("/stations/"):
            continue
        accepted = [{name: []} for name in schemes]
        if method in ("post", "put", "patch", "delete"):
            assert operation["security"] == accepted, (path, method)
        else:
            assert operation["security"] == [*accepted, {}], (path, method)
        assert "internal token" not in operation["responses"]["401"]["description"]
        assert {"502", "503", "504"} <= set(operation["responses"])


def test_errors_the_apps_answer_are_documented(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        if "requestBody" in operation:
            assert "`malformed_json`" in responses["400"]["description"], (path, method)
            assert "413" in responses, (path, method)
        parameters = {p["name"].lower() for p in operation.get("parameters", [])}
        if parameters & {"cursor", "after"}:  # a list's page, a feed's position
            assert "`invalid_cursor`" in responses["400"]["description"], (path, method)
        if "if-match" in parameters:  # common.etag's three answers
            assert "`invalid_if_match`" in responses["400"]["description"], (path, method)
            assert {"412", "428"} <= set(responses), (path, method)
        for status, response in responses.items():
            if int(status) >= 400 and path != "/readyz":  # its 503 is a readiness report
                assert list(response["content"]) == ["application/problem+json"]


def test_servers_and_infrastructure(document: dict[str, Any]) -> None:
    assert document["servers"][0]["url"] == PUBLIC_URL
    assert "/healthz" in document["paths"]  # the gateway's own
    assert "/stations/healthz" not in document["paths"]
    assert not [p for p in document["paths"] if p.endswith("/metrics")]


def test_the_document_does_not_need_the_services_running(database_url: str) -> None:
    with closed_port() as port:
        nobody = f"http://127.0.0.1:{port}"
        settings = GatewaySettings(
            database_url=database_url,
            stations_url=nobody,
            logistics_url=nobody,
            training_url=nobody,
        )
        with serve(create_gateway(settings)) as gateway:
            paths = fetch_document(gateway)["paths"]
    assert "/stations/v1/stations" in paths


def test_the_docs_page_is_served_by_the_gateway(front: Front) -> None:
    with httpx.Client(base_url=front.gateway, timeout=60) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page)
            assert html.status_code == 200
            assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
            assert assets, html.text
            assert [a for a in assets if not a.startswith("/")] == [], assets
            assert "cdn" not in html.text.lower()
            for asset in assets:
                r = client.get(asset)
                assert r.status_code == 200, asset
                assert len(r.content) > 1000, asset
                # Nor anything the scripts and styles would fetch from a CDN themselves.
                if not asset.endswith(".png"):
                    assert re.findall(rb"https?://(?:cdn|fonts)\.[^\"' )]+", r.content) == []
        docs = client.get("/docs").text
        assert "'/openapi.json'" in docs
        assert '"validatorUrl": null' in docs
        assert '"persistAuthorization": true' in docs


def test_schema_names_are_kept_shared_or_made_unique() -> None:
    ref = {"$ref": "#/components/schemas/DivisionRef"}
    schemas = {
        "gateway": {"ProblemDetails": {"type": "object"}},
        "stations": {
            "ProblemDetails": {"type": "object"},
            "DivisionRef": {"properties": {"code": {"type": "string"}}},
            "Station": {"properties": {"division": ref}},
        },
        "logistics": {
            "ProblemDetails": {"type": "object"},
            "DivisionRef": {"properties": {"code": {"type": "integer"}}},
            "Station": {"properties": {"division": ref}},  # same text, another DivisionRef
        },
    }
    names = component_names(schemas)
    assert names[("stations", "ProblemDetails")] == "ProblemDetails"
    assert names[("logistics", "ProblemDetails")] == "ProblemDetails"
    assert names[("stations", "DivisionRef")] == "StationsDivisionRef"
    assert names[("logistics", "DivisionRef")] == "LogisticsDivisionRef"
    assert names[("stations", "Station")] == "StationsStation"
    assert names[("logistics", "Station")] == "LogisticsStation"


def test_names_qualified_by_module_get_their_domain_instead() -> None:
    schemas = {
        "logistics": {
            "services__logistics__depots__schemas__PointOut": {"type": "object"},
            "services__logistics__coverage__schemas__PointOut": {"type": "string"},
        }
    }
    names = component_names(schemas)
    assert names[("logistics", "services__logistics__depots__schemas__PointOut")] == (
        "DepotsPointOut"
    )
    assert names[("logistics", "services__logistics__coverage__schemas__PointOut")] == (
        "CoveragePointOut"
    )
