"""``/reports/v1/targets``: admins configure where documents go; bad input is a 4xx naming
the field, in Chinese when asked."""

import asyncpg
import httpx
import pytest

from common.errors import Unprocessable
from gateway.jobs import JobContext
from gateway.reports.targets import service
from gateway.settings import GatewaySettings
from tests.deliveries.conftest import headers
from tests.deliveries.support import (
    FakeClock,
    insert_revision,
    next_due,
    receiver,
    revision_ready,
    run_due,
)
from tests.deliveries.targets import make_target

TARGET = {
    "name": "山西省电子商务公共服务平台",
    "kind": "province",
    "endpoint_url": "https://ec.shanxi.example.gov.cn/api/reports",
    "division": "14",
    "document_types": ["county-report"],
    "periods": ["month", "quarter"],
    "schedule": {"day": 5, "time": "02:00", "timezone": "Asia/Shanghai"},
}
ZH = {"Accept-Language": "zh"}


async def test_an_admin_creates_a_target_and_sees_its_secret_once(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post("/reports/v1/targets", json=TARGET, headers=headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["signing_secret"].startswith("whsec_")
    assert response.headers["Location"] == f"/reports/v1/targets/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    # 02:00 China time on the 5th is 18:00 UTC on the 4th.
    assert body["next_run_at"].endswith("-04T18:00:00Z")
    shown = await gateway.get(f"/reports/v1/targets/{body['id']}", headers=headers())
    assert "signing_secret" not in shown.json()
    assert [s["hint"] for s in shown.json()["secrets"]] == [body["signing_secret"][:12]]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"endpoint_url": "ftp://mofcom.gov.cn/reports"}, "endpoint_url", "invalid_endpoint_url"),
        (
            {"endpoint_url": "https://user:pw@mofcom.gov.cn/"},
            "endpoint_url",
            "invalid_endpoint_url",
        ),
        ({"division": "14110"}, "division", "invalid_scope"),
        (
            {"schedule": {"day": 5, "timezone": "Mars/Olympus"}},
            "schedule.timezone",
            "unknown_timezone",
        ),
        ({"schedule": {"day": 31}}, "schedule.day", "less_than_equal"),
        ({"periods": ["week"]}, "periods.0", "string_pattern_mismatch"),
        ({"periods": [["month"]]}, "periods.0", "string_type"),
        (
            {"document_types": ["county-report", "county-report"]},
            "document_types",
            "duplicate_value",
        ),
    ],
)
async def test_bad_targets_are_refused_naming_the_field(
    gateway: httpx.AsyncClient, change: dict, field: str, code: str
) -> None:
    response = await gateway.post(
        "/reports/v1/targets", json={**TARGET, **change}, headers=headers(**ZH)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert error["field"].endswith(field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["detail"]), error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/reports",
        "http://localhost/reports",
        "https://10.20.30.40/reports",
        "https://192.168.1.10/reports",
        "https://172.16.0.1/reports",
        "http://169.254.169.254/latest",
        "http://[::1]/reports",
        "http://[fd00::1]/reports",
    ],
)
async def test_in_production_loopback_and_private_endpoints_are_refused(
    settings: GatewaySettings, url: str
) -> None:
    production = settings.model_copy(update={"environment": "production"})
    with pytest.raises(Unprocessable) as refused:
        await service.check_endpoint(url, production)
    assert refused.value.code == "endpoint_not_public"
    assert refused.value.field == "endpoint_url"
    await service.check_endpoint(url, settings)  # tests and development deliver on loopback


async def test_in_production_a_public_address_is_taken(settings: GatewaySettings) -> None:
    production = settings.model_copy(update={"environment": "production"})
    await service.check_endpoint("https://202.96.134.133/reports", production)


async def test_a_change_needs_the_version_it_was_based_on(gateway: httpx.AsyncClient) -> None:
    created = (await gateway.post("/reports/v1/targets", json=TARGET, headers=headers())).json()
    url = f"/reports/v1/targets/{created['id']}"
    missing = await gateway.patch(url, json={"name": "山西"}, headers=headers())
    assert (missing.status_code, missing.json()["code"]) == (428, "if_match_required")
    changed = await gateway.patch(
        url, json={"status": "disabled"}, headers=headers(**{"If-Match": '"1"'})
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["status"], changed.json()["disabled_reason"]) == ("disabled", "admin")
    stale = await gateway.patch(url, json={"name": "山西"}, headers=headers(**{"If-Match": '"1"'}))
    assert (stale.status_code, stale.json()["code"]) == (412, "stale_version")


async def test_rotation_keeps_the_old_secret_for_the_overlap(gateway: httpx.AsyncClient) -> None:
    created = (await gateway.post("/reports/v1/targets", json=TARGET, headers=headers())).json()
    rotated = await gateway.post(
        f"/reports/v1/targets/{created['id']}/secrets",
        json={"overlap_hours": 48},
        headers=headers(),
    )
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["signing_secret"] != created["signing_secret"]
    secrets = (await gateway.get(f"/reports/v1/targets/{created['id']}", headers=headers())).json()[
        "secrets"
    ]
    assert len(secrets) == 2
    assert secrets[0]["expires_at"] is None  # the new one
    assert secrets[1]["expires_at"] is not None


async def test_admins_see_deliveries_by_period_and_replay_them(
    gateway: httpx.AsyncClient, ctx: JobContext, clock: FakeClock, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi, receiver("MOFCOM") as mofcom:
        shanxi_id, secret = await make_target(ctx, shanxi.url, "14", "province")
        mofcom_id, _ = await make_target(ctx, mofcom.url)
        shanxi.secrets.append(secret)
        november = await insert_revision(db, "141124000000", "2026-11")
        october = await insert_revision(db, "141124000000", "2026-10")
        (delivery_id, _) = await revision_ready(ctx, november)
        await revision_ready(ctx, october)
        base = f"/reports/v1/targets/{shanxi_id}/deliveries"

        pending = await gateway.get(f"{base}/{delivery_id}/replay", headers=headers())
        assert pending.status_code == 405
        busy = await gateway.post(f"{base}/{delivery_id}/replay", headers=headers())
        assert (busy.status_code, busy.json()["code"]) == (409, "delivery_pending")

        await run_due(ctx, db)
        listed = await gateway.get(base, params={"period": "2026-11"}, headers=headers())
        assert listed.status_code == 200
        (item,) = listed.json()["items"]
        assert (item["id"], item["status"], item["period"]) == (delivery_id, "delivered", "2026-11")
        detail = (await gateway.get(f"{base}/{delivery_id}", headers=headers())).json()
        assert detail["receipt_status"] == 200
        assert detail["receipt"].startswith('{"receipt":"Shanxi-')
        (attempt,) = detail["attempt_log"]
        assert (attempt["outcome"], attempt["status_code"]) == ("delivered", 200)

        # A delivery of another target is refused by name, in Chinese when asked.
        foreign = await gateway.post(
            f"/reports/v1/targets/{mofcom_id}/deliveries/{delivery_id}/replay",
            headers=headers(**ZH),
        )
        assert foreign.status_code == 422
        assert foreign.json()["code"] == "delivery_of_another_target"
        assert foreign.json()["errors"][0]["pointer"] == "/delivery_id"
        assert "不属于" in foreign.json()["detail"]

        replayed = await gateway.post(f"{base}/{delivery_id}/replay", headers=headers())
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["status"] == "pending"
        clock.now = max(clock.now, await next_due(db))  # the replay is due at once
        assert await run_due(ctx, db) == 1
    # The replay went with the same webhook-id; the receiver took the revision once.
    ids = [r["headers"]["webhook-id"] for r in shanxi.requests]
    assert ids.count(f"rev_{november}") == 2
    assert len(shanxi.effective) == 2
    again = (await gateway.get(f"{base}/{delivery_id}", headers=headers())).json()
    assert (again["status"], again["replays"], again["attempts"]) == ("delivered", 1, 2)


async def test_a_signing_secret_is_stored_sealed(
    gateway: httpx.AsyncClient, settings: GatewaySettings, db: asyncpg.Pool
) -> None:
    from gateway.reports.deliveries.secrets import CONTEXT

    made = (await gateway.post("/reports/v1/targets", json=TARGET, headers=headers())).json()
    sealed = await db.fetchval(
        "SELECT sealed FROM gateway.signing_secret WHERE target_id = $1", made["id"]
    )
    secret = made["signing_secret"]
    assert secret.encode() not in sealed
    assert secret.removeprefix("whsec_").encode() not in sealed
    assert settings.field_cipher().decrypt(sealed, context=CONTEXT) == secret


async def test_a_change_with_lists_of_lists_is_422_naming_the_field(
    gateway: httpx.AsyncClient,
) -> None:
    """Found by the fuzzer: a list of lists reached the duplicates check and crashed it."""
    created = (await gateway.post("/reports/v1/targets", json=TARGET, headers=headers())).json()
    answer = await gateway.patch(
        f"/reports/v1/targets/{created['id']}",
        json={"periods": [[-23704674430, None]], "document_types": [["county-report"]]},
        headers=headers(**{"If-Match": '"1"', **ZH}),
    )
    assert answer.status_code == 422, answer.text
    fields = {error["field"] for error in answer.json()["errors"]}
    assert fields == {"periods.0", "document_types.0"}, fields
