"""Coverage uploads: JSON, NDJSON and spreadsheet CSV through the one bulk reader, a result
per row, dry runs, a batch retried under its Idempotency-Key, the CSV template."""

import json

import asyncpg
import httpx

from tests.logistics.factories import (
    JIESHANG,
    LISHI_OFFICIAL,
    RESIDENTS,
    WUCHENG,
    XIALUOBAO,
    ZAOLIN,
    ZH,
    ZTO,
    coverage,
)


async def count(db: asyncpg.Pool) -> int:
    return await db.fetchval("SELECT count(*) FROM logistics.coverage")


async def test_a_json_upload_answers_row_by_row(
    logistics: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    rows = [
        coverage(JIESHANG),
        coverage(XIALUOBAO, carrier="ZTO"),
        coverage(RESIDENTS),  # a residents' committee
        coverage(WUCHENG, carrier="sf"),  # another carrier's row
        {"carrier": "zto", "division_code": ZAOLIN},  # fields missing
        "not an object",
        coverage(JIESHANG, deliveries_per_week=7, valid_from="2026-04-01"),  # then a change
    ]
    url = "/v1/coverage/bulk"
    dry = await logistics.post(url, params={"dry_run": "true"}, json=rows, headers=ZTO | ZH)
    assert dry.status_code == 200, dry.text
    assert await count(db) == 0
    key = {"Idempotency-Key": "batch-2026-11-30-001"}
    r = await logistics.post(url, json=rows, headers=ZTO | ZH | key)
    assert r.status_code == 200
    body = r.json()
    outcomes = [(i["index"], i["status"], i.get("code")) for i in body["results"]]
    assert outcomes == [
        (1, "created", None),
        (2, "created", None),
        (3, "rejected", "wrong_division_class"),
        (4, "rejected", "not_your_carrier"),
        (5, "rejected", "missing"),
        (6, "rejected", "expected_object"),
        (7, "updated", None),
    ]
    assert body["counts"] == {"rows": 7, "created": 2, "updated": 1, "unchanged": 0, "rejected": 4}
    assert dry.json()["counts"] == body["counts"]
    assert body["results"][3]["http_status"] == 403
    assert "居委会" in body["results"][2]["message"]
    assert await count(db) == 3

    replay = await logistics.post(url, json=rows, headers=ZTO | ZH | key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == body
    assert await count(db) == 3
    again = await logistics.post(url, json=rows[:2], headers=ZTO)
    assert again.json()["counts"]["unchanged"] == 1  # row 1 changed since, by row 7


async def test_spreadsheets_and_ndjson(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    sheet = (
        "快递公司,区划代码,覆盖方式,每周揽收次数,每周投递次数,起始日期,备注\r\n"
        f"YZPY,{JIESHANG},邮政,2,5,2026/3/1,乡邮员\r\n"
        f"中通,{XIALUOBAO},直达,2,5,2026/3/1,\r\n"
        f"ZTO,{WUCHENG},经乡镇网点,14,15,2026年3月1日,\r\n"
    ).encode("gb18030")
    r = await logistics.post(
        "/v1/coverage/bulk", content=sheet, headers=LISHI_OFFICIAL | {"Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [(i["index"], i["line"], i["status"]) for i in results] == [
        (1, 2, "created"),
        (2, 3, "rejected"),
        (3, 4, "rejected"),
    ]
    assert results[1]["code"] == "unknown_carrier"
    assert results[2]["field"] == "deliveries_per_week"
    stored = await db.fetchrow("SELECT mode, valid_from::text, source FROM logistics.coverage")
    assert tuple(stored) == ("postal", "2026-03-01", "official_survey")

    lines = "\n".join(json.dumps(coverage(c)) for c in (XIALUOBAO, WUCHENG)) + "\n{broken\n"
    r = await logistics.post(
        "/v1/coverage/bulk", content=lines, headers=ZTO | {"Content-Type": "application/x-ndjson"}
    )
    assert [i["status"] for i in r.json()["results"]] == ["created", "created", "rejected"]


async def test_the_csv_template_reads_back(logistics: httpx.AsyncClient) -> None:
    r = await logistics.get("/v1/coverage/bulk/template", headers=ZTO)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    assert r.text.splitlines()[0].startswith("\ufeff快递公司编码,区划代码")
    filled = r.content + f"zto,{JIESHANG},,直达,3,6,2026/9/1,\r\n".encode()
    sent = await logistics.post(
        "/v1/coverage/bulk", content=filled, headers=ZTO | {"Content-Type": "text/csv"}
    )
    assert sent.status_code == 200, sent.text
    assert [(i["index"], i["status"]) for i in sent.json()["results"]] == [(2, "created")]


async def test_feed_events_and_re_sent_uploads(
    logistics: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """The events of new periods are copied in with them: each payload is what the feed
    builds from the table for a changed period. A re-sent upload is all unchanged, and a
    place named twice in it is still judged row by row."""
    rows = [
        coverage(JIESHANG),
        coverage(XIALUOBAO, valid_from="2026-02-01", valid_to="2026-08-31"),
        coverage(XIALUOBAO, valid_from="2026-02-01", valid_to="2026-09-30"),  # extends it
    ]
    first = await logistics.post("/v1/coverage/bulk", json=rows, headers=ZTO)
    assert [r["status"] for r in first.json()["results"]] == ["created", "created", "updated"]
    rebuilt = await db.fetch(
        """
        SELECT e.payload, jsonb_build_object(
                   'id', c.id, 'carrier', k.code, 'division_code', c.division_code,
                   'station_code', c.station_code, 'mode', c.mode,
                   'pickups_per_week', c.pickups_per_week,
                   'deliveries_per_week', c.deliveries_per_week,
                   'valid_from', c.valid_from, 'valid_to', c.valid_to, 'source', c.source,
                   'superseded', c.superseded_at IS NOT NULL) AS rebuilt, e.version, c.version
        FROM logistics.change_event e
        JOIN logistics.coverage c ON c.id = e.key::bigint
        JOIN logistics.carrier k ON k.id = c.carrier_id
        WHERE e.topic = 'coverage' ORDER BY e.id
        """
    )
    assert len(rebuilt) == 2
    assert all(json.loads(r[0]) == json.loads(r[1]) and r[2] == r[3] for r in rebuilt)

    again = await logistics.post("/v1/coverage/bulk", json=rows[:1] + rows[2:], headers=ZTO)
    results = again.json()["results"]
    assert [r["status"] for r in results] == ["unchanged", "unchanged"]
    assert [r["coverage_id"] for r in results] == [
        r["coverage_id"] for r in first.json()["results"][::2]
    ]
    twice = await logistics.post("/v1/coverage/bulk", json=rows, headers=ZTO)
    assert [r["status"] for r in twice.json()["results"]] == ["unchanged", "updated", "updated"]
    earlier = coverage(JIESHANG, valid_from="2025-12-01")
    refused = await logistics.post("/v1/coverage/bulk", json=[earlier], headers=ZTO)
    assert refused.json()["results"][0]["code"] == "overlapping_validity"


async def test_a_large_answer_is_gzipped_when_asked(logistics: httpx.AsyncClient) -> None:
    """The answer is compressed by the route (quicker than the app's gzip layer), with the
    headers that layer would send, and reads as the plain one."""
    rows = [coverage(RESIDENTS)] * 20  # a residents' committee, 20 long messages
    url = "/v1/coverage/bulk?dry_run=true"
    packed = await logistics.post(url, json=rows, headers=ZTO | {"Accept-Encoding": "gzip"})
    assert packed.status_code == 200
    assert (packed.headers["content-encoding"], packed.headers["vary"]) == (
        "gzip",
        "Accept-Encoding",
    )
    plain = await logistics.post(url, json=rows, headers=ZTO | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert packed.json() == plain.json()
    assert packed.json()["counts"]["rejected"] == 20
    small = await logistics.post(url, json=rows[:1], headers=ZTO | {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
