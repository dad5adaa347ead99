"""Field encryption for personal data (PIPL): AES-256-GCM with the key id in the ciphertext,
and an HMAC-SHA256 blind index beside it for de-duplication and lookup (ADR 0030).

A value such as a resident ID number is stored twice, neither time in clear:

- ``encrypt`` → ``0x01 | len(key id) | key id | 12-byte nonce | ciphertext+tag``. The header
  and a *context* (``"training.trainee.id_number"``) are authenticated data, so a ciphertext
  moved to another column, or given another key id, fails to decrypt instead of decrypting
  wrongly.
- ``blind_index`` → HMAC-SHA256 of context and value under the current key's index key: equal
  values give equal indexes (a unique constraint finds the second registration of one ID),
  and without the key the index reveals nothing. ID numbers have little entropy (a birth
  date, a county, three digits), so the index key is as secret as the encryption key.

Keys come from settings as secrets of ≥ 32 characters; both working keys are derived from
one with HKDF-SHA256. The ring holds every key still needed to read old rows and names the
current one, which alone encrypts and indexes new values. Rotating: add a new key and make it
current (apps then write with it and still read the old), re-encrypt old rows in batches
(``ruralnet training rotate-key``), then drop the old key. While two keys are in the ring a
lookup computes the index under each (``blind_indexes``).
"""

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = 1
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class FieldCryptoError(ValueError):
    """A ciphertext that is not ours, was tampered with, or needs a key the ring lacks.
    Its message never contains the value."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM
    index_key: bytes


class FieldCipher:
    """A key ring: ``keys`` maps key id → secret, ``current`` names the one that writes."""

    def __init__(self, keys: Mapping[str, str], current: str) -> None:
        if current not in keys:
            raise ValueError(f"the current field key {current!r} is not in the key ring")
        self._keys: dict[str, _Key] = {}
        for key_id, secret in keys.items():
            if not KEY_ID.match(key_id):
                raise ValueError(f"field key id {key_id!r}: 1–32 of A-Z a-z 0-9 . _ -")
            self._keys[key_id] = _Key(
                key_id,
                AESGCM(_derive(secret, b"ruralnet field encryption v1")),
                _derive(secret, b"ruralnet blind index v1"),
            )
        self.current_key_id = current
        self._current = self._keys[current]

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, value: str, *, context: str) -> bytes:
        key = self._current
        header = bytes([FORMAT_VERSION, len(key.key_id)]) + key.key_id.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, value.encode(), header + context.encode())
        return header + nonce + sealed

    def decrypt(self, blob: bytes, *, context: str) -> str:
        key_id, header_length = _header(blob)
        key = self._keys.get(key_id)
        if key is None:
            raise FieldCryptoError(f"no key {key_id!r} in the ring to decrypt this value")
        header = blob[:header_length]
        nonce = blob[header_length : header_length + NONCE_BYTES]
        try:
            plain = key.aead.decrypt(
                nonce, blob[header_length + NONCE_BYTES :], header + context.encode()
            )
        except InvalidTag as e:
            raise FieldCryptoError("the value does not authenticate (tampered or moved)") from e
        return plain.decode()

    def blind_index(self, value: str, *, context: str, key_id: str | None = None) -> bytes:
        key = self._current if key_id is None else self._keys[key_id]
        return hmac.new(
            key.index_key, context.encode() + b"\0" + value.encode(), hashlib.sha256
        ).digest()

    def blind_indexes(self, value: str, *, context: str) -> list[bytes]:
        """The index under every key of the ring: what a lookup matches while keys rotate."""
        return [self.blind_index(value, context=context, key_id=k) for k in self._keys]


def key_id_of(blob: bytes) -> str:
    """The id of the key a ciphertext was made with."""
    return _header(blob)[0]


def _header(blob: bytes) -> tuple[str, int]:
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise FieldCryptoError("not a ruralnet field ciphertext")
    length = blob[1]
    end = 2 + length
    if len(blob) < end + NONCE_BYTES + 16:
        raise FieldCryptoError("truncated field ciphertext")
    try:
        return blob[2:end].decode("ascii"), end
    except UnicodeDecodeError as e:
        raise FieldCryptoError("not a ruralnet field ciphertext") from e
