"""``ruralnet gateway rotate-key``: the signing secrets re-sealed under the current field key
in batches, resumable, a no-op once done; deliveries still verify under the new key alone;
and the gateway's start-up check refuses a ring that lacks a key in use (ADR 0087)."""

from dataclasses import replace

import asyncpg
import pytest
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from common.db import make_engine
from common.fieldcrypt import FieldCipher, FieldCryptoError, key_id_of
from common.keyring import check_keys_at_start
from gateway.jobs import JobContext
from gateway.reports.deliveries import rekey
from gateway.settings import GatewaySettings
from tests.deliveries.support import insert_revision, receiver, revision_ready, run_due
from tests.deliveries.targets import make_target

NEW_ID = "k2"
NEW = "a-new-gateway-field-key-of-32-characters-at-least"


class _Stopped(Exception):
    pass


def _stop(_: int) -> None:
    raise _Stopped


def _ring(settings: GatewaySettings, *, old: bool, new: bool) -> GatewaySettings:
    keys = dict(settings.field_keys) if old else {}
    if new:
        keys[NEW_ID] = SecretStr(NEW)
    current = NEW_ID if new else settings.field_key_id
    return settings.model_copy(update={"field_keys": keys, "field_key_id": current})


async def _sealed(db: asyncpg.Pool) -> list[bytes]:
    return [bytes(r["sealed"]) for r in await db.fetch(
        "SELECT sealed FROM gateway.signing_secret ORDER BY id")]  # fmt: skip


async def test_old_key_secrets_are_resealed_in_batches_and_still_sign(
    ctx: JobContext, db: asyncpg.Pool
) -> None:
    made = [await make_target(ctx, f"http://127.0.0.1:9/{n}", "14", "province") for n in range(3)]
    both = _ring(ctx.settings, old=True, new=True)
    ring: FieldCipher = both.field_cipher()
    async with db.acquire() as conn:
        assert await rekey.pending(conn, NEW_ID) == 3
        with pytest.raises(_Stopped):  # stopped after its first batch …
            await rekey.reseal(conn, ring, batch=2, progress=_stop)
        assert await rekey.pending(conn, NEW_ID) == 1
        result = await rekey.reseal(conn, ring, batch=2)  # … and run again
        assert (result.resealed, result.left) == (1, 0)
        done = await _sealed(db)
        again = await rekey.reseal(conn, ring, batch=2)  # once more: nothing to do
    assert (again.resealed, again.left) == (0, 0)
    assert await _sealed(db) == done
    assert {key_id_of(s) for s in done} == {NEW_ID}

    # The worker with the new key alone signs with the re-sealed secret; it verifies.
    new_only = replace(ctx, settings=_ring(ctx.settings, old=False, new=True))
    with receiver("Shanxi") as shanxi:
        target_id, secret = made[0]
        await db.execute(
            "UPDATE gateway.delivery_target SET endpoint_url = $1 WHERE id = $2",
            shanxi.url, target_id,
        )  # fmt: skip
        shanxi.secrets.append(secret)
        revision = await insert_revision(db, "141124000000")
        await revision_ready(new_only, revision)
        assert await run_due(new_only, db) >= 1
    request = next(r for r in shanxi.requests if r["headers"]["webhook-id"] == f"rev_{revision}")
    Webhook(secret).verify(request["body"], request["headers"], json_parse=False)

    # Starting with a ring that lacks the key now in use is refused, naming the variable.
    engine = make_engine(ctx.settings.database_url, application_name="test-rekey", pool_size=1)
    try:
        with pytest.raises(FieldCryptoError, match=rf"{NEW_ID}.*GATEWAY_FIELD_KEYS"):
            await check_keys_at_start(engine, ctx.settings, rekey.IN_USE)
        await check_keys_at_start(engine, new_only.settings, rekey.IN_USE)
    finally:
        await engine.dispose()
