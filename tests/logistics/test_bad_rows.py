"""Every bad input of the single endpoints, sent as rows of one upload: each row rejected
with the status, code and field its single request gets, in Chinese when asked, and the
good row beside them written (one bad row never fails the batch)."""

from typing import Any

import asyncpg
import httpx

from tests.logistics.factories import (
    JIESHANG,
    LISHI,
    LISHI_OFFICIAL,
    ZH,
    ZTO,
    add_point,
    coverage,
    retired_code,
)
from tests.logistics.test_coverage import BAD_INPUT
from tests.logistics.test_depots import BAD_DEPOTS, depot
from tests.logistics.test_volumes import bad_volumes, volume

Case = tuple[dict[str, Any], int, str, str | None]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def _upload(
    client: httpx.AsyncClient, path: str, headers: Any, good: dict[str, Any],
    bad: list[dict[str, Any]], cases: list[Case],
) -> list[dict[str, Any]]:  # fmt: skip
    r = await client.post(path, json=[*bad, good], headers=headers | ZH)
    assert r.status_code == 200, r.text
    body = r.json()
    *rejected, written = body["results"]
    assert written["status"] == "created", written
    assert body["counts"]["rejected"] == len(cases)
    _check(rejected, cases)
    return rejected


async def test_bad_coverage_rows(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    cases: list[Case] = list(BAD_INPUT)
    bad = [coverage(**fields) for fields, *_ in cases]
    async with retired_code(db) as code:
        bad.append(coverage(code))
        cases.append(({}, 422, "division_not_current", "division_code"))
        # Reaching into a closed period: the second row closed the first on 2026-05-31.
        bad += [
            coverage("141102100202", valid_from="2026-01-01"),
            coverage("141102100202", valid_from="2026-06-01", deliveries_per_week=12),
            coverage("141102100202", valid_from="2026-05-01"),
        ]
        rows = [*bad, coverage(JIESHANG)]
        r = await logistics.post("/v1/coverage/bulk", json=rows, headers=ZTO | ZH)
    results = r.json()["results"]
    assert [x["status"] for x in results[-4:]] == ["created", "updated", "rejected", "created"]
    overlap = results[-2]
    assert (overlap["code"], overlap["field"]) == ("overlapping_validity", "valid_from")
    assert "重叠" in overlap["message"]
    _check(results[: len(cases)], cases)


def _check(results: list[dict[str, Any]], cases: list[Case]) -> None:
    for result, (fields, status, code, field) in zip(results, cases, strict=True):
        assert (result["status"], result["http_status"]) == ("rejected", status), (fields, result)
        codes = [result["code"], *(e["code"] for e in result.get("errors", []))]
        assert code in codes, (fields, result)
        assert result.get("field") == field, (fields, result)
        assert _chinese(result["message"]), (fields, result)


async def test_bad_depot_rows(logistics: httpx.AsyncClient) -> None:
    cases = [(f, s, c, fld) for f, h, s, c, fld in BAD_DEPOTS if h is LISHI_OFFICIAL]
    bad = [depot(f"BAD-{n}", **fields) for n, (fields, *_) in enumerate(cases)]
    await _upload(logistics, "/v1/depots/bulk", LISHI_OFFICIAL, depot("GOOD"), bad, cases)


async def test_bad_volume_rows(logistics: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    await add_point(db, JIESHANG)
    cases = [(f, s, c, fld) for f, h, s, c, fld in bad_volumes() if h is ZTO]
    bad = [volume(**fields) for fields, *_ in cases]
    await _upload(logistics, "/v1/volumes/bulk", ZTO, volume(), bad, cases)


async def test_swapped_coordinates_in_a_spreadsheet(logistics: httpx.AsyncClient) -> None:
    """Cells are text: the swap is still seen for what it is, as in JSON."""
    template = await logistics.get("/v1/depots/bulk/template", headers=ZTO)
    row = f"LS-9,县级物流配送中心,离石配送中心,{LISHI},,37.52,111.14,wgs84,,,,,,供销物流,,,\r\n"
    r = await logistics.post(
        "/v1/depots/bulk",
        content=template.content + row.encode("utf-8"),
        headers=LISHI_OFFICIAL | ZH | {"Content-Type": "text/csv"},
    )
    [result] = r.json()["results"]
    assert (result["code"], result["field"]) == ("lat_lon_swapped", "location"), result
    assert "填反" in result["message"]
