"""Parent rules: derived when omitted, checked when given, re-derived when the hierarchy
above a station appears or closes."""

import asyncpg
import httpx

from tests.stations.factories import problem
from tests.stations.registry_helpers import (
    ADMIN,
    JIESHANG,
    LIN_COUNTY,
    LISHI,
    WUCHENG,
    XIALUOBAO,
    ZAOLIN,
    ZAOLIN_VILLAGE,
    create,
    move,
)


async def _parent(client: httpx.AsyncClient, code: str) -> str | None:
    return (await client.get(f"/v1/stations/{code}", headers=ADMIN)).json()["parent"]


async def test_derived_parents(stations: httpx.AsyncClient) -> None:
    centre = (await create(stations, "county", LISHI))["code"]
    township = await create(stations, "township", WUCHENG)
    assert township["parent"] == centre
    village = await create(stations, "village", JIESHANG)
    assert village["parent"] == township["code"]
    # a township without a station: its villages belong to the county centre
    other = await create(stations, "village", ZAOLIN_VILLAGE)
    assert other["parent"] == centre
    assert (await create(stations, "county", LISHI))["parent"] is None


async def test_no_parent_until_one_exists(stations: httpx.AsyncClient) -> None:
    village = await create(stations, "village", JIESHANG)
    assert village["parent"] is None
    township = await create(stations, "township", WUCHENG)
    assert township["parent"] is None


async def test_parents_rederived_when_stations_above_appear(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    village = (await create(stations, "village", JIESHANG))["code"]
    zaolin_village = (await create(stations, "village", ZAOLIN_VILLAGE))["code"]
    township = (await create(stations, "township", WUCHENG))["code"]
    assert await _parent(stations, village) == township
    assert await _parent(stations, zaolin_village) is None
    centre = (await create(stations, "county", LISHI))["code"]
    assert await _parent(stations, township) == centre
    assert await _parent(stations, village) == township  # still its township's station
    assert await _parent(stations, zaolin_village) == centre
    # each move is a new version on the change feed
    moved = await db.fetch(
        "SELECT key, version, payload->>'parent' AS parent FROM stations.change_event "
        "WHERE action = 'reparented' ORDER BY id"
    )
    assert {(m["key"], m["parent"]) for m in moved} == {
        (village, township),
        (township, centre),
        (zaolin_village, centre),
    }
    body = (await stations.get(f"/v1/stations/{village}", headers=ADMIN)).json()
    assert body["version"] == 2


async def test_parents_rederived_when_a_station_above_closes(stations: httpx.AsyncClient) -> None:
    centre = (await create(stations, "county", LISHI))["code"]
    township = (await create(stations, "township", WUCHENG))["code"]
    village = (await create(stations, "village", JIESHANG))["code"]
    assert (await move(stations, township, "closed")).status_code == 201
    assert await _parent(stations, village) == centre
    second_centre = (await create(stations, "county", LISHI))["code"]
    assert (await move(stations, centre, "closed")).status_code == 201
    assert await _parent(stations, village) == second_centre
    assert (await move(stations, second_centre, "closed")).status_code == 201
    assert await _parent(stations, village) is None


async def test_closed_stations_keep_their_parent(stations: httpx.AsyncClient) -> None:
    centre = (await create(stations, "county", LISHI))["code"]
    village = (await create(stations, "village", JIESHANG))["code"]
    await move(stations, village, "closed")
    township = (await create(stations, "township", WUCHENG))["code"]
    assert township
    assert await _parent(stations, village) == centre  # history is not rewritten


async def test_wrong_parent_is_refused(stations: httpx.AsyncClient) -> None:
    centre = (await create(stations, "county", LISHI))["code"]
    township = (await create(stations, "township", WUCHENG))["code"]
    zaolin = (await create(stations, "township", ZAOLIN))["code"]
    lin_centre = (await create(stations, "county", LIN_COUNTY))["code"]

    async def attempt(tier: str, division: str, parent: str) -> dict[str, object]:
        r = await stations.post(
            "/v1/stations",
            json={"tier": tier, "division_code": division, "name": "x", "parent": parent},
            headers=ADMIN,
        )
        body = problem(r, 422, "wrong_parent")
        assert body["field"] == "parent"
        return body

    # the township has a station: the county centre may not be skipped to
    body = await attempt("village", JIESHANG, centre)
    assert body["allowed_parents"] == [township]
    # another township's station
    await attempt("village", JIESHANG, zaolin)
    # another county's centre
    body = await attempt("township", WUCHENG, lin_centre)
    assert body["allowed_parents"] == [centre]
    # a county centre has no parent
    await attempt("county", LISHI, lin_centre)
    # a village point is nobody's parent
    village = (await create(stations, "village", JIESHANG))["code"]
    await attempt("village", XIALUOBAO, village)


async def test_unknown_parent(stations: httpx.AsyncClient) -> None:
    r = await stations.post(
        "/v1/stations",
        json={"tier": "village", "division_code": JIESHANG, "name": "x", "parent": f"{WUCHENG}-05"},
        headers=ADMIN,
    )
    assert problem(r, 422, "unknown_parent")["field"] == "parent"


async def test_valid_parent_given_and_changed(stations: httpx.AsyncClient) -> None:
    first = (await create(stations, "township", WUCHENG))["code"]
    second = (await create(stations, "township", WUCHENG))["code"]
    village = await create(stations, "village", JIESHANG, parent=second)
    assert village["parent"] == second
    r = await stations.patch(
        f"/v1/stations/{village['code']}",
        json={"parent": first},
        headers={**ADMIN, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["parent"] == first
    r = await stations.patch(
        f"/v1/stations/{village['code']}",
        json={"parent": f"{LISHI}-01"},
        headers={**ADMIN, "If-Match": '"2"'},
    )
    problem(r, 422, "unknown_parent")


async def test_closed_station_cannot_be_a_parent(stations: httpx.AsyncClient) -> None:
    township = (await create(stations, "township", WUCHENG))["code"]
    await move(stations, township, "closed")
    r = await stations.post(
        "/v1/stations",
        json={"tier": "village", "division_code": JIESHANG, "name": "x", "parent": township},
        headers=ADMIN,
    )
    assert problem(r, 422, "wrong_parent")["allowed_parents"] == []
