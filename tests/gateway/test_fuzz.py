"""Generated requests (schemathesis) against the gateway's merged OpenAPI document, through
the real gateway in front of every real service, as an admin, an official and an operator:
no answer may be a 5xx, or disagree with the document in status, content type, headers or
body schema. The operations come from the document, so every route of every service (and
the gateway's own ``/auth`` and ``/registry``) is fuzzed the day it lands. The official and
the operator ask for Chinese: every problem they get must say what is wrong in Chinese, the
per-field details included (item 18 of the hardening issue).

Bounded for ``make test``: a fixed seed, a few valid and a few invalid requests per
operation and role, no shrinking, no example database. ``RURALNET_FUZZ_CASES`` raises the
number of cases per role for a deeper run by hand.
"""

import copy
import os
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from common.auth import Role
from common.errors import PROBLEM_JSON
from tests.gateway.conftest import Front, user_headers

SEED = 20260601
# A few hundred requests per role, spread over the operations however many services there
# are (the suite's time stays bounded as they grow), and never fewer than a handful each.
CASES_PER_ROLE = int(os.environ.get("RURALNET_FUZZ_CASES", "400"))
MIN_EXAMPLES_PER_OPERATION = 3
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
INFRASTRUCTURE = frozenset({"/healthz", "/readyz"})
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# What a message falls back to when a check gave no Chinese of its own (common.errors).
_FALLBACK_ZH = "取值无效"


def problems_in_chinese(ctx: CheckContext, response: Any, case: Case) -> bool | None:
    """A caller who asked for Chinese reads Chinese: the title, the detail and every field's
    detail of a problem, and no field's detail is the bare fallback that says nothing."""
    if ZH["Accept-Language"] not in str(response.request.headers.get("accept-language", "")):
        return None
    if response.status_code < 400 or not response.headers.get("content-type", [""])[0].startswith(
        PROBLEM_JSON
    ):
        return None
    if not response.content:  # HEAD
        return None
    body = response.json()
    said = {"title": body.get("title", ""), "detail": body.get("detail", "")}
    for n, error in enumerate(body.get("errors") or []):
        said[f"errors[{n}].detail ({error.get('field')}, {error.get('code')})"] = error.get(
            "detail", ""
        )
    english = {k: v for k, v in said.items() if not _CHINESE.search(str(v))}
    assert not english, f"{response.status_code} {body.get('code')}: not in Chinese: {english}"
    bare = [k for k, v in said.items() if k.startswith("errors") and v == _FALLBACK_ZH]
    assert not bare, f"{response.status_code} {body.get('code')}: only {_FALLBACK_ZH!r}: {bare}"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    problems_in_chinese,
]
ROLES: dict[str, Callable[[], dict[str, str]]] = {
    "admin": lambda: user_headers(Role.ADMIN),
    "official": lambda: {**user_headers(Role.OFFICIAL, division="141102"), **ZH},
    "operator": lambda: {**user_headers(Role.OPERATOR, station="141102100200-01"), **ZH},
}


@pytest.fixture(scope="module")
def gateway_schema(document: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(copy.deepcopy(document))


def _fuzz(schema: Any, base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    failures: list[str] = []
    sent = 0
    # Health and readiness take no input; /readyz's 503 is its documented report (a busy
    # machine's service slow to answer its own readiness), not a server error.
    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if operation.path not in INFRASTRUCTURE
    ]
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
