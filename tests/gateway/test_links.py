"""Item 11 of the hardening issue: every link a client can follow through the gateway is a
gateway URL built from configuration, with the service's prefix, whatever the Host header
says; a direct call to a service gets path-absolute links, and a forged public base is
ignored."""

import httpx

from common.links import PUBLIC_BASE_HEADER, PUBLIC_BASE_SIGNATURE_HEADER, sign_public_base
from tests.gateway.conftest import PUBLIC_URL, Front, local, user_headers
from tests.support import INTERNAL_SECRET, internal_headers

STATIONS = f"{PUBLIC_URL}/stations"
# Lishi district (离石区) of Lüliang: village committees of the seed data.
VILLAGES = ["141102100200", "141102100202", "141102201200"]
EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


async def _register(client: httpx.AsyncClient, division: str) -> httpx.Response:
    return await client.post(
        "/stations/v1/stations",
        json={"tier": "village", "division_code": division, "name": f"服务点 {division}"},
        headers=user_headers(),
    )


async def test_location_is_a_gateway_url_with_the_prefix(client: httpx.AsyncClient) -> None:
    r = await _register(client, VILLAGES[0])
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.headers["location"] == f"{STATIONS}/v1/stations/{code}"
    again = await client.get(local(r.headers["location"]), headers=user_headers())
    assert again.status_code == 200, again.text
    assert again.json()["code"] == code


async def test_next_and_link_follow_the_configuration_not_the_host(
    client: httpx.AsyncClient,
) -> None:
    for division in VILLAGES:
        assert (await _register(client, division)).status_code == 201
    seen: list[str] = []
    url: str | None = "/stations/v1/stations?limit=1&tier=village"
    while url is not None:
        r = await client.get(url, headers={**user_headers(), **EVIL})
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [item["division_code"] for item in page["items"]]
        if page["next"] is None:
            assert "link" not in r.headers
            url = None
            continue
        assert page["next"].startswith(f"{STATIONS}/v1/stations?")
        assert "tier=village" in page["next"]  # the filters travel with the cursor
        assert r.headers["link"] == f'<{page["next"]}>; rel="next"'
        assert "evil" not in r.text
        assert "evil" not in r.headers["link"]
        url = local(page["next"])
    assert seen == VILLAGES


async def test_problem_instance_is_the_gateway_url(client: httpx.AsyncClient) -> None:
    r = await client.get("/stations/v1/stations/141102100200-99", headers=EVIL)
    assert r.status_code == 404, r.text
    assert r.json()["instance"] == f"{STATIONS}/v1/stations/141102100200-99"
    # The gateway's own problems too.
    r = await client.get("/payments/v1/orders", headers=EVIL)
    assert r.json()["instance"] == f"{PUBLIC_URL}/payments/v1/orders"


async def test_a_callers_public_base_never_reaches_the_service(client: httpx.AsyncClient) -> None:
    forged = "http://evil.example/stations"
    r = await client.get(
        "/stations/v1/stations/141102100200-99",
        headers={
            PUBLIC_BASE_HEADER: forged,
            PUBLIC_BASE_SIGNATURE_HEADER: sign_public_base(forged, "a-guess"),
        },
    )
    assert r.json()["instance"] == f"{STATIONS}/v1/stations/141102100200-99"


async def test_direct_calls_get_path_absolute_links(front: Front) -> None:
    async with httpx.AsyncClient(base_url=front.stations, timeout=60) as direct:
        for division in VILLAGES[:2]:
            body = {"tier": "village", "division_code": division, "name": f"点 {division}"}
            r = await direct.post("/v1/stations", json=body, headers=internal_headers())
            assert r.status_code == 201, r.text
            assert r.headers["location"] == f"/v1/stations/{division}-01"
        r = await direct.get("/v1/stations?limit=1", headers={**internal_headers(), **EVIL})
        assert r.json()["next"].startswith("/v1/stations?")
        followed = await direct.get(r.json()["next"], headers=internal_headers())
        assert followed.json()["items"][0]["division_code"] == VILLAGES[1]
        # A public base is believed only with the gateway's signature.
        forged = "http://evil.example/stations"
        r = await direct.get(
            "/v1/stations/141102100200-99",
            headers={
                **internal_headers(),
                PUBLIC_BASE_HEADER: forged,
                PUBLIC_BASE_SIGNATURE_HEADER: sign_public_base(forged, "a-guess"),
            },
        )
        assert r.json()["instance"] == "/v1/stations/141102100200-99"
        signed = "https://other-gateway.example/stations"
        r = await direct.get(
            "/v1/stations/141102100200-99",
            headers={
                **internal_headers(),
                PUBLIC_BASE_HEADER: signed,
                PUBLIC_BASE_SIGNATURE_HEADER: sign_public_base(signed, INTERNAL_SECRET),
            },
        )
        assert r.json()["instance"] == f"{signed}/v1/stations/141102100200-99"
