import httpx

from tests.support import internal_headers


async def test_health_and_ready(stations: httpx.AsyncClient) -> None:
    assert (await stations.get("/healthz")).json() == {"status": "ok"}
    ready = await stations.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["migration"]


async def test_unknown_route(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/nope", headers=internal_headers())
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
