"""Idempotency records: a replay repeats the first answer's status, ETag and Location; a
record keeps no personal data (answers that show the operator are stored as a reference and
rendered again); records expire after 48 hours and are purged by later writes."""

import json

import asyncpg
import httpx

from common.idempotency import PURGE_BATCH, REPLAY_HOURS
from tests.stations.factories import figures, insert_station
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.stations.registry_helpers import ADMIN, JIESHANG, PHONE, complete

LAST = _text(_month(-1))


async def _records(db: asyncpg.Pool) -> list[str]:
    rows = await db.fetch("SELECT body::text AS body FROM stations.idempotency_record")
    return [row["body"] for row in rows]


def _same_answer(first: httpx.Response, again: httpx.Response) -> None:
    assert again.headers["idempotent-replayed"] == "true"
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    for header in ("etag", "location"):
        assert again.headers.get(header) == first.headers.get(header), header


async def test_a_station_replay_repeats_the_answer_but_the_record_keeps_no_operator(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    body = {"tier": "village", "division_code": JIESHANG, "name": "街上村服务点", **complete()}
    headers = ADMIN | {"Idempotency-Key": "create-jieshang-0001"}
    first = await stations.post("/v1/stations", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["operator"] == {"name": "张小明", "phone": PHONE, "masked": False}
    assert first.headers["location"].endswith(f"/v1/stations/{first.json()['code']}")
    again = await stations.post("/v1/stations", json=body, headers=headers)
    _same_answer(first, again)
    [record] = await _records(db)
    assert PHONE not in record
    assert "张小明" not in record
    assert "5678" not in record  # not even masked

    code = first.json()["code"]
    move = {"to": "building", "reason": "施工队已进场"}
    headers = ADMIN | {"Idempotency-Key": "move-jieshang-0001"}
    moved = await stations.post(f"/v1/stations/{code}/transitions", json=move, headers=headers)
    assert moved.status_code == 201, moved.text
    assert moved.json()["transition"]["from"] == "planned"
    again = await stations.post(f"/v1/stations/{code}/transitions", json=move, headers=headers)
    _same_answer(moved, again)
    assert all(PHONE not in record for record in await _records(db))


async def test_a_report_replay_repeats_its_etag(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    station = await insert_station(db, "141124100201")
    url = f"/v1/stations/{station.code}/reports/{LAST}"
    headers = ADMIN | {"Idempotency-Key": "report-0001-abcdef"}
    first = await stations.put(url, json=figures(), headers=headers)
    assert (first.status_code, first.headers["etag"]) == (201, '"1"')
    _same_answer(first, await stations.put(url, json=figures(), headers=headers))


async def test_records_expire_and_are_purged_by_writes(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    station = await insert_station(db, "141124100201")
    url = f"/v1/stations/{station.code}/reports/{LAST}"
    headers = ADMIN | {"Idempotency-Key": "report-0002-abcdef"}
    first = await stations.put(url, json=figures(), headers=headers)
    assert first.status_code == 201
    await db.execute(
        "UPDATE stations.idempotency_record"
        f" SET created_at = now() - interval '{REPLAY_HOURS} hours 1 minute'"
    )
    # Expired: the resend is done afresh (the same figures again: unchanged, 200).
    again = await stations.put(url, json=figures(), headers=headers)
    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    # … and its record replaces the expired one.
    assert (
        await db.fetchval(
            "SELECT status_code FROM stations.idempotency_record WHERE created_at > now() - interval '1 hour'"
        )
        == 200
    )

    expired = PURGE_BATCH + 5
    await db.executemany(
        "INSERT INTO stations.idempotency_record"
        " (subject, key, fingerprint, status_code, body, created_at)"
        " VALUES ($1, $2, 'x', 201, $3, now() - interval '3 days')",
        [
            (f"user:{i}", f"old-key-{i:04d}", json.dumps({"headers": {}, "body": {}}))
            for i in range(expired)
        ],
    )
    for number in (3, 4):
        r = await stations.put(
            url,
            json=figures(parcels_in=number),
            headers=ADMIN | {"Idempotency-Key": f"report-000{number}-abcdef"},
        )
        assert r.status_code == 200, r.text
    old = await db.fetchval(
        "SELECT count(*) FROM stations.idempotency_record WHERE created_at < now() - interval '2 days'"
    )
    assert old == 0  # two writes purged the 25 expired records, at most 20 each
