"""Prometheus metrics for every app, from ``prometheus-client`` (ADR 0013).

Each app has a :class:`Metrics` (``app.state.metrics``) with its own registry, served at
``/metrics``: requests by route template and status, a latency histogram, the database
pool's connections in use, and the process's memory, CPU and file descriptors. The
request-context middleware records each request once, with the latency it measures anyway.

Labels are bounded: the route is the *template* the router matched (``/v1/stations/{code}``,
never the raw path), ``<unmatched>`` for paths no route knows, and unknown methods count as
``OTHER``, so a scanner cannot create a series per URL it tries.

Other parts add their own figures through the same object, e.g. a gauge set as things
happen::

    lag = app.state.metrics.gauge("changefeed_consumer_lag_seconds", "…", ["feed"])
    lag.labels("stations").set(seconds)

or, for a figure read from the database when asked (a feed consumer's lag from its cursor
row, whichever process consumes), a hook run before each scrape (``on_scrape``).

Several worker processes of one app: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
of that app's own before it starts; each worker writes its figures there and ``/metrics``
adds them up over the workers (the client library's multiprocess mode).
"""

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

NAMESPACE = "ruralnet"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# From a cached read (~1 ms) to a national bulk upload (tens of seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
UNMATCHED = "<unmatched>"
# A layer that answers without a router (the gateway's pass-through) names its route here.
ROUTE_LABEL = "ruralnet.route"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

GaugeMode = Literal["livesum", "livemax", "livemin", "liveall", "mostrecent", "livemostrecent"]
# Sets figures read when asked; it answers for its own failures (a scrape still answers).
ScrapeHook = Callable[[Request], Awaitable[None]]


def route_label(scope: dict[str, object]) -> str:
    label = scope.get(ROUTE_LABEL)
    if isinstance(label, str):
        return label
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class Metrics:
    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        self.registry = CollectorRegistry()
        if not self.multiprocess:
            # Per process only; in multiprocess mode each worker's would need a label of its own.
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                self.registry.register(collector)
        self._named: dict[str, Counter | Gauge | Histogram] = {}
        self._scrape_hooks: list[ScrapeHook] = []
        self._requests = self.counter(
            "http_requests",
            "Requests answered, by method, route template and status",
            ["method", "route", "status"],
        )
        self._latency = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer",
            ["method", "route"],
            namespace=NAMESPACE,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # labels() takes a lock and builds a tuple each call: keep the children per key.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = "OTHER"
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self._requests.labels(method, route, str(status)),
                self._latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
        """A counter ``ruralnet_<name>_total`` in this app's registry (the same one if asked
        again)."""
        existing = self._named.get(name)
        if existing is None:
            existing = Counter(
                name, documentation, labelnames, namespace=NAMESPACE, registry=self.registry
            )
            self._named[name] = existing
        assert isinstance(existing, Counter), f"{name} is already another kind of metric"
        return existing

    def gauge(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        multiprocess_mode: GaugeMode = "livemax",
    ) -> Gauge:
        """A gauge ``ruralnet_<name>`` in this app's registry (the same one if asked again).

        ``multiprocess_mode`` says how the workers' values combine: ``livemax`` (a lag, an
        age) or ``livesum`` (connections, queue lengths), over the workers alive;
        ``livemostrecent`` for a figure every worker reads from one place when scraped.
        """
        existing = self._named.get(name)
        if existing is None:
            existing = Gauge(
                name,
                documentation,
                labelnames,
                namespace=NAMESPACE,
                registry=self.registry,
                multiprocess_mode=multiprocess_mode,
            )
            self._named[name] = existing
        assert isinstance(existing, Gauge), f"{name} is already another kind of metric"
        return existing

    def watch_pool(self, engine: AsyncEngine, size: int) -> None:
        """Connections of ``engine``'s pool in use, counted as they are checked out and in
        (no work per scrape, exact over several workers)."""
        self.gauge(
            "db_pool_size", "Connections the pool may hold", multiprocess_mode="livesum"
        ).set(size)
        in_use = self.gauge(
            "db_pool_connections_in_use",
            "Connections checked out of the pool; at db_pool_size, requests wait for one",
            multiprocess_mode="livesum",
        )
        in_use.set(0)
        event.listen(engine.sync_engine, "checkout", lambda *_: in_use.inc())
        event.listen(engine.sync_engine, "checkin", lambda *_: in_use.dec())

    def on_scrape(self, hook: ScrapeHook) -> None:
        """Run ``hook`` before each ``/metrics`` answer, e.g. to set a gauge from the database."""
        self._scrape_hooks.append(hook)

    async def scrape(self, request: Request) -> bytes:
        for hook in self._scrape_hooks:
            await hook(request)
        return self.render()

    def render(self) -> bytes:
        if self.multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    body = await request.app.state.metrics.scrape(request)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
