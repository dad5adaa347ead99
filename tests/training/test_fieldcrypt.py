"""Field encryption: round trip, the key id in the ciphertext, tampering, rotation, and
settings that refuse a default key outside development."""

import asyncpg
import httpx
import pytest
from pydantic import ValidationError

from common.fieldcrypt import FieldCipher, FieldCryptoError, key_id_of
from common.identifiers import InvalidResidentId, parse_resident_id
from common.keyring import require_keys
from common.settings import DEV_FIELD_KEY
from services.training import keys
from services.training.app import create
from services.training.settings import TrainingSettings
from tests.support import FIELD_KEY, FIELD_KEY_ID, app_client
from tests.training.helpers import admin, make_session, official, person, resident_id

OLD = "old-key-0123456789abcdef0123456789abcdef"
NEW = "new-key-0123456789abcdef0123456789abcdef"
CONTEXT = "training.trainee.id_number"


def test_round_trip_with_the_key_id_inside() -> None:
    cipher = FieldCipher({"k1": OLD}, "k1")
    number = resident_id()
    blob = cipher.encrypt(number, context=CONTEXT)
    assert number.encode() not in blob
    assert key_id_of(blob) == "k1"
    assert cipher.decrypt(blob, context=CONTEXT) == number
    # Two encryptions differ (random nonce); the blind index does not.
    assert cipher.encrypt(number, context=CONTEXT) != blob
    assert cipher.blind_index(number, context=CONTEXT) == cipher.blind_index(
        number, context=CONTEXT
    )


def test_tampering_moving_and_unknown_keys_fail() -> None:
    cipher = FieldCipher({"k1": OLD}, "k1")
    blob = bytearray(cipher.encrypt(resident_id(), context=CONTEXT))
    with pytest.raises(FieldCryptoError):
        cipher.decrypt(bytes(blob), context="training.trainee.phone")
    blob[-1] ^= 1
    with pytest.raises(FieldCryptoError, match="authenticate"):
        cipher.decrypt(bytes(blob), context=CONTEXT)
    other = FieldCipher({"k2": NEW}, "k2")
    with pytest.raises(FieldCryptoError, match="no key 'k1'"):
        other.decrypt(cipher.encrypt("x", context=CONTEXT), context=CONTEXT)


def test_rotation_reads_old_writes_new_and_looks_up_under_both() -> None:
    old = FieldCipher({"k1": OLD}, "k1")
    ring = FieldCipher({"k1": OLD, "k2": NEW}, "k2")
    number = resident_id()
    blob = old.encrypt(number, context=CONTEXT)
    assert ring.decrypt(blob, context=CONTEXT) == number
    assert key_id_of(ring.encrypt(number, context=CONTEXT)) == "k2"
    assert old.blind_index(number, context=CONTEXT) in ring.blind_indexes(number, context=CONTEXT)


def test_settings_refuse_the_development_key_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRAINING_FIELD_KEYS")
    monkeypatch.delenv("TRAINING_FIELD_KEY_ID")
    with pytest.raises(ValidationError, match="development default"):
        TrainingSettings(environment="production")
    with pytest.raises(ValidationError, match="at least 32"):
        TrainingSettings(environment="production", field_keys={"k1": "short"}, field_key_id="k1")
    with pytest.raises(ValidationError, match="not one of field_keys"):
        TrainingSettings(field_keys={"k1": OLD}, field_key_id="k2")
    assert (
        TrainingSettings(environment="development").field_keys["dev"].get_secret_value()
        == DEV_FIELD_KEY
    )


def test_resident_ids() -> None:
    parsed = parse_resident_id(resident_id("19900307", "124"))
    assert (parsed.birth_date.isoformat(), parsed.sex) == ("1990-03-07", "female")
    # A birthplace code the list does not know (as retired county codes are) only advises.
    retired = parse_resident_id(resident_id(area="999999"))
    assert not retired.birthplace_known
    for bad, code in [
        (resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1"), "resident_id_checksum"),
        (resident_id("19900230"), "resident_id_birth_date"),
        (resident_id("29900101"), "resident_id_birth_date"),
        ("14112490030712", "invalid_resident_id"),
        ("141124900307123", "resident_id_first_generation"),
    ]:
        with pytest.raises(InvalidResidentId) as e:
            parse_resident_id(bad)
        assert e.value.code == code
        assert bad not in str(e.value)


class _Stopped(Exception):
    pass


def _stop(_: int) -> None:
    raise _Stopped


async def test_rotate_key_in_batches_and_resume(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    numbers = [resident_id(seq=f"{300 + i}") for i in range(5)]
    for number in numbers:
        r = await training.post("/v1/trainees", json=person(number), headers=official())
        assert r.status_code == 201, r.text
    ring = FieldCipher({FIELD_KEY_ID: FIELD_KEY, "test-2": NEW}, "test-2")
    async with db.acquire() as conn:
        with pytest.raises(_Stopped):  # stopped after its first batch …
            await keys.rotate(conn, ring, batch=2, progress=_stop)
        assert await keys.pending(conn, "test-2") == 3
        result = await keys.rotate(conn, ring, batch=2)  # … and run again
    assert (result.rotated, result.left) == (3, 0)
    rows = await db.fetch("SELECT * FROM training.trainee ORDER BY id")
    assert {r["key_id"] for r in rows} == {"test-2"}
    new_only = FieldCipher({"test-2": NEW}, "test-2")
    assert [
        new_only.decrypt(bytes(r["id_number_cipher"]), context=CONTEXT) for r in rows
    ] == numbers
    assert [bytes(r["id_number_index"]) for r in rows] == [
        new_only.blind_index(n, context=CONTEXT) for n in numbers
    ]
    # What the app checks at start-up: the old ring alone lacks the key now in use.
    in_use = [r["key_id"] for r in await db.fetch(keys.IN_USE) if r["key_id"] is not None]
    assert in_use == ["test-2"]
    with pytest.raises(FieldCryptoError, match=r"test-2.*TRAINING_FIELD_KEYS"):
        require_keys(FieldCipher({FIELD_KEY_ID: FIELD_KEY}, FIELD_KEY_ID), in_use,
                     "TRAINING_FIELD_KEYS")  # fmt: skip
    require_keys(new_only, in_use, "TRAINING_FIELD_KEYS")


async def test_a_sheet_finds_people_registered_under_the_old_key(
    training: httpx.AsyncClient, database_url: str, db: asyncpg.Pool
) -> None:
    """While a new key is current and the old one still in the ring, a sheet listing a
    person registered under the old key signs that person in; only the new one is created."""
    known = resident_id(seq="401")
    r = await training.post("/v1/trainees", json=person(known), headers=official())
    assert r.status_code == 201, r.text
    existing = r.json()["id"]
    s = await make_session(training)
    rotated = TrainingSettings(
        database_url=database_url,
        follow_stations=False,
        field_keys={FIELD_KEY_ID: FIELD_KEY, "test-2": NEW},
        field_key_id="test-2",
    )
    async with app_client(create(rotated)) as rotating:
        sheet = [
            {"session_id": s["id"], "day": s["starts_on"], **person(number)}
            for number in (known, resident_id(seq="402"))
        ]
        answer = await rotating.post("/v1/attendance/bulk", json=sheet, headers=admin())
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["results"]
    assert (first["status"], first["trainee_id"], "trainee_created" in first) == (
        "created",
        existing,
        False,
    )
    assert (second["status"], second.get("trainee_created")) == ("created", True)
    rows = await db.fetch("SELECT key_id FROM training.trainee ORDER BY id")
    assert [r["key_id"] for r in rows] == [FIELD_KEY_ID, "test-2"]


async def test_a_number_no_key_opens_is_shown_masked_with_a_warning(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """A key taken out of the ring before a rotation finished: the record still answers,
    masked, saying why, instead of a 500."""
    number = resident_id(seq="501")
    r = await training.post("/v1/trainees", json=person(number), headers=official())
    assert r.status_code == 201, r.text
    trainee_id = r.json()["id"]
    gone = FieldCipher({"gone": OLD}, "gone").encrypt(number, context=CONTEXT)
    await db.execute(
        "UPDATE training.trainee SET id_number_cipher = $1 WHERE id = $2", gone, trainee_id
    )
    r = await training.get(f"/v1/trainees/{trainee_id}", headers=official())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id_number"] == number[:6] + "********" + number[-4:]
    assert [w["code"] for w in body["warnings"]] == ["id_number_unreadable"]
    assert number not in r.text
