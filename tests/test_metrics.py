"""Item 14 of the hardening issue: ``/metrics`` in Prometheus format on every app, with
requests by route template (never the raw path) and status, latency, the database pool, and
a way for other parts to add their own figures; several workers add up; every change-feed
consumer's progress and lag."""

import math
import os
import subprocess
import sys
import textwrap
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from common.metrics import UNMATCHED
from gateway.app import create as create_gateway
from gateway.openapi import service_factory
from gateway.settings import GatewaySettings
from ruralnet.runner import COMPONENTS
from tests.support import app_client, internal_headers


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _requests(samples: dict, route: str, status: str, method: str = "GET") -> float:
    key = frozenset({("method", method), ("route", route), ("status", status)})
    return samples.get(("ruralnet_http_requests_total", key), 0.0)


async def _scrape(client: httpx.AsyncClient) -> dict:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")  # the text format
    return _samples(r.text)


async def test_requests_are_counted_by_route_template(stations: httpx.AsyncClient) -> None:
    before = await _scrape(stations)
    for code in ("141102100200-98", "141102100200-99"):
        r = await stations.get(f"/v1/stations/{code}", headers=internal_headers())
        assert r.status_code == 404
    await stations.get("/v1/no-such-route/141102100200-97")
    r = await stations.post("/v1/stations", json={"tier": "moon"}, headers=internal_headers())
    assert r.status_code == 422
    r = await stations.get("/metrics")
    after = _samples(r.text)
    assert (
        _requests(after, "/v1/stations/{code}", "404")
        - _requests(before, "/v1/stations/{code}", "404")
        == 2
    )
    assert _requests(after, UNMATCHED, "404") - _requests(before, UNMATCHED, "404") == 1
    assert (
        _requests(after, "/v1/stations", "422", "POST")
        - _requests(before, "/v1/stations", "422", "POST")
        == 1
    )
    assert "141102100200-9" not in r.text  # raw paths never become labels
    latency = frozenset({("method", "GET"), ("route", "/v1/stations/{code}"), ("le", "+Inf")})
    assert after[("ruralnet_http_request_duration_seconds_bucket", latency)] >= 2


async def test_the_database_pool_is_watched(stations: httpx.AsyncClient) -> None:
    await stations.get("/v1/divisions/141102000000", headers=internal_headers())
    samples = await _scrape(stations)
    assert samples[("ruralnet_db_pool_size", frozenset())] == 10
    assert samples[("ruralnet_db_pool_connections_in_use", frozenset())] == 0
    assert ("process_resident_memory_bytes", frozenset()) in samples


async def test_other_parts_add_their_own_gauges(
    stations_app: FastAPI, stations: httpx.AsyncClient
) -> None:
    lag = stations_app.state.metrics.gauge(
        "test_consumer_lag_seconds", "How far a consumer is behind", ["feed"]
    )
    assert stations_app.state.metrics.gauge("test_consumer_lag_seconds", "again", ["feed"]) is lag
    lag.labels("stations").set(4.5)
    samples = await _scrape(stations)
    assert samples[("ruralnet_test_consumer_lag_seconds", frozenset({("feed", "stations")}))] == 4.5


WORKER = textwrap.dedent(
    """
    import sys
    from common.metrics import Metrics
    metrics = Metrics()
    for _ in range(int(sys.argv[1])):
        metrics.observe("GET", "/v1/stations/{code}", 200, 0.01)
    if len(sys.argv) > 2:
        sys.stdout.buffer.write(metrics.render())
    """
)


def test_workers_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for count in ("3", "4"):
        subprocess.run([sys.executable, "-c", WORKER, count], env=env, check=True, timeout=60)
    scrape = subprocess.run(
        [sys.executable, "-c", WORKER, "0", "render"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert _requests(_samples(scrape.stdout), "/v1/stations/{code}", "200") == 7


def _app(component: str, database_url: str, **settings: Any) -> FastAPI:
    if component == "gateway":
        return create_gateway(GatewaySettings(database_url=database_url))
    create, settings_class = service_factory(component)
    if "follow_stations" in settings_class.model_fields:
        settings.setdefault("follow_stations", False)
    return create(settings_class(database_url=database_url, **settings))  # type: ignore[call-arg]


def _running(app: FastAPI) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return app_client(app, base_url="http://app")


@pytest.mark.parametrize("component", [c.name for c in COMPONENTS])
async def test_every_app_serves_its_metrics(component: str, database_url: str) -> None:
    async with _running(_app(component, database_url)) as client:
        assert (await client.get("/healthz")).status_code == 200
        samples = await _scrape(client)
    assert _requests(samples, "/healthz", "200") >= 1
    assert ("ruralnet_db_pool_size", frozenset()) in samples
    bucket = frozenset({("method", "GET"), ("route", "/healthz"), ("le", "+Inf")})
    assert samples[("ruralnet_http_request_duration_seconds_bucket", bucket)] >= 1


FEED = frozenset({("feed", "stations")})


@pytest.mark.parametrize("component", ["logistics", "training", "programme"])
async def test_every_app_that_follows_a_feed_shows_its_lag(
    component: str, database_url: str, db: asyncpg.Pool
) -> None:
    """Read from the cursor row when scraped: +Inf until the consumer caught up once, then
    the seconds since its last poll found the feed exhausted."""
    async with _running(_app(component, database_url)) as client:
        samples = await _scrape(client)
        assert samples[("ruralnet_changefeed_consumer_lag_seconds", FEED)] == math.inf
        await db.execute(
            f"INSERT INTO {component}.feed_cursor (source, cursor, events_applied, caught_up_at)"
            " VALUES ('stations', NULL, 7, now() - interval '90 seconds')"
        )
        samples = await _scrape(client)
    assert 89 <= samples[("ruralnet_changefeed_consumer_lag_seconds", FEED)] < 3600
    assert samples[("ruralnet_changefeed_consumer_events_applied", FEED)] == 7
