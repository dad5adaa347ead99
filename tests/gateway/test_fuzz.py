"""Generated requests (schemathesis) against the gateway's merged OpenAPI document, through
the real gateway in front of the real stations service, as an admin, an official and an
operator: no answer may be a 5xx, or disagree with the document in status, content type,
headers or body schema. The operations come from the document, so every route of every
service is fuzzed the day it lands.

Bounded for ``make test``: a fixed seed, a few valid and a few invalid requests per
operation and role, no shrinking, no example database.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from common.auth import Role
from tests.gateway.conftest import Front, user_headers

SEED = 20260601
# A few hundred requests per role, spread over the operations however many services there
# are (the suite's time stays bounded as they grow), and never fewer than a handful each.
CASES_PER_ROLE = 400
MIN_EXAMPLES_PER_OPERATION = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES: dict[str, Callable[[], dict[str, str]]] = {
    "admin": lambda: user_headers(Role.ADMIN),
    "official": lambda: user_headers(Role.OFFICIAL, division="141102"),
    "operator": lambda: user_headers(Role.OPERATOR, station="141102100200-01"),
}


@pytest.fixture(scope="module")
def gateway_schema(front: Front) -> Any:
    return schemathesis.openapi.from_dict(
        httpx.get(f"{front.gateway}/openapi.json", timeout=60).json()
    )


def _fuzz(schema: Any, base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    failures: list[str] = []
    sent = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    examples = max(MIN_EXAMPLES_PER_OPERATION, CASES_PER_ROLE // len(operations))
    for operation in operations:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @hypothesis_seed(SEED)
        @settings(
            max_examples=examples,
            phases=[Phase.explicit, Phase.generate],
            database=None,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Case) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

        try:
            run()
        except (Exception, BaseExceptionGroup) as failure:  # every operation is tried
            failures.append(f"{operation.label}: {failure}")
    return sent, failures


@pytest.mark.parametrize("role", list(ROLES))
def test_generated_requests(front: Front, gateway_schema: Any, role: str) -> None:
    sent, failures = _fuzz(gateway_schema, front.gateway, ROLES[role]())
    assert failures == [], "\n\n".join(failures)
    assert sent >= 100
