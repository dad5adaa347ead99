"""A report document asks each service once for what it reads of it (``…/indicators/report``;
training's indicators are one route already), and its targets are measured as the
dashboards measure them: the same rows as the division's dashboard for the period."""

from collections import Counter

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from common.auth import Role
from tests.gateway.conftest import Front, user_headers
from tests.gateway.registry import scene
from tests.gateway.reports.test_documents import MONTH, URL

ADMIN = user_headers(Role.ADMIN)
# What the services' own followers ask of each other meanwhile (the stations feed).
BACKGROUND = ("/v1/changes", "/v1/changes/head", "/metrics")


@pytest.fixture
async def adopted(front: Front, db: asyncpg.Pool) -> scene.Scene:
    built = await scene.build(
        db, front.services["logistics"], front.services["training"], locations=False
    )
    await scene.adopt(front.services["programme"])
    return built


async def _requests(front: Front) -> Counter[tuple[str, str]]:
    """GET requests each service has answered so far, by (service, route template)."""
    counted: Counter[tuple[str, str]] = Counter()
    async with httpx.AsyncClient(timeout=30) as client:
        for name, url in front.services.items():
            r = await client.get(f"{url}/metrics")
            assert r.status_code == 200, r.text
            for family in text_string_to_metric_families(r.text):
                for sample in family.samples:
                    labels = sample.labels
                    if (
                        sample.name == "ruralnet_http_requests_total"
                        and labels["method"] == "GET"
                        and labels["route"] not in BACKGROUND
                    ):
                        counted[(name, labels["route"])] += int(sample.value)
    return counted


async def test_each_service_is_asked_once_and_targets_match_the_dashboard(
    client: httpx.AsyncClient, front: Front, adopted: scene.Scene
) -> None:
    before = await _requests(front)
    r = await client.post(URL, headers=ADMIN)
    assert r.status_code == 201, r.text
    asked = await _requests(front) - before
    assert asked == {
        ("stations", "/v1/indicators/report"): 1,
        ("logistics", "/v1/indicators/report"): 1,
        ("programme", "/v1/indicators/report"): 1,
        # The period's training, and persons trained counted from the target set's year.
        ("training", "/v1/indicators/training"): 2,
    }

    targets = r.json()["content"]["network"]["targets"]
    board = await client.get(
        f"/registry/v1/dashboards/{scene.COUNTY}", params={"period": MONTH}, headers=ADMIN
    )
    assert board.status_code == 200, board.text
    fields = ("target_set", "indicator", "target", "counted_from", "counted_to", "value",
              "gap", "status")  # fmt: skip
    measured = [{k: t[k] for k in fields} for t in board.json()["division"]["targets"]]
    assert [{k: t[k] for k in fields} for t in targets] == measured
    assert any(t["indicator"] == "persons_trained" for t in targets)
