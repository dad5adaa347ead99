"""A small JSON endpoint: our app's stack vs a bare Starlette app, and direct vs through the gateway.

Three uvicorn processes on loopback: the bare app (the limit for our stack), the stations
service and a gateway in front of it. Each answers ``{"status": "ok"}`` at ``/healthz``; the
gateway's request goes ``/stations/healthz`` → stations ``/healthz``, so the difference is the
gateway's own work: authentication, minting the internal token, the request id, logging and
the second HTTP hop. Latency is measured with one connection (no queueing), throughput with
16; targets take turns over three rounds and each figure is the median round.
"""

from contextlib import ExitStack

from bench.core import Figure, Load, Measurement, Options, measure, median_of, uvicorn_process

ROUNDS = 3
LATENCY_CONNECTIONS = 1
THROUGHPUT_CONNECTIONS = 16


async def run(options: Options) -> list[Figure]:
    latency = Load(requests=options.scaled(2000), concurrency=LATENCY_CONNECTIONS, seconds=15)
    throughput = Load(requests=options.scaled(6000), concurrency=THROUGHPUT_CONNECTIONS, seconds=20)
    # As in production: JSON logs (the gateway logs each forwarded request; /healthz is quiet).
    env = {"STATIONS_LOG_JSON": "true", "GATEWAY_LOG_JSON": "true"}
    with ExitStack() as stack:
        bare = stack.enter_context(uvicorn_process("bench.apps:bare_starlette", env=env))
        stations = stack.enter_context(uvicorn_process("services.stations.app:create", env=env))
        gateway = stack.enter_context(
            uvicorn_process("gateway.app:create", env={**env, "GATEWAY_STATIONS_URL": stations})
        )
        targets = {
            "bare": f"{bare}/healthz",
            "direct": f"{stations}/healthz",
            "gateway": f"{gateway}/stations/healthz",
        }
        one: dict[str, list[Measurement]] = {key: [] for key in targets}
        many: dict[str, list[Measurement]] = {key: [] for key in targets}
        for _ in range(ROUNDS):
            for key, url in targets.items():
                one[key].append(await measure(url, latency))
                many[key].append(await measure(url, throughput))
    for key, rounds in (*one.items(), *many.items()):
        failed = sum(m.errors for m in rounds)
        if failed:
            raise RuntimeError(f"{targets[key]} answered {failed} requests with an error")

    def p(key: str, statistic: str) -> float:
        return median_of(one[key], statistic)

    def rps(key: str) -> float:
        return median_of(many[key], "per_second")

    def added(statistic: str) -> str:
        return f"+{p('gateway', statistic) - p('direct', statistic):.2f} ms added"

    return [
        Figure(
            f"stations /healthz, requests/s ({THROUGHPUT_CONNECTIONS} connections)",
            rps("direct"), rps("bare"), "bare Starlette", "req/s", higher_is_better=True,
        ),
        Figure(
            "stations /healthz, p50 (1 connection)",
            p("direct", "p50"), p("bare", "p50"), "bare Starlette", "ms", higher_is_better=False,
        ),
        Figure(
            "stations /healthz, p99 (1 connection)",
            p("direct", "p99"), p("bare", "p99"), "bare Starlette", "ms", higher_is_better=False,
        ),
        Figure(
            "via the gateway, p50 (1 connection)",
            p("gateway", "p50"), p("direct", "p50"), "stations direct", "ms",
            higher_is_better=False, note=added("p50"),
        ),
        Figure(
            "via the gateway, p99 (1 connection)",
            p("gateway", "p99"), p("direct", "p99"), "stations direct", "ms",
            higher_is_better=False, note=added("p99"),
        ),
        Figure(
            f"via the gateway, requests/s ({THROUGHPUT_CONNECTIONS} connections)",
            rps("gateway"), rps("direct"), "stations direct", "req/s", higher_is_better=True,
        ),
    ]  # fmt: skip
