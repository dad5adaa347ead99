"""Passwords: Argon2id hashes, and the policy a village operator can live with.

The policy follows NIST SP 800-63B §5.1.1 rather than composition rules: a length that
resists guessing, no password anyone tries first (the bundled list), and not the login
phone. An operator may pick a phrase they remember ("wo ai jia xiang 2024"); nobody is made
to add a capital letter and write it on the wall of the station.

``common-passwords.txt.gz`` is Django's list of 20,000 common passwords (BSD licence, from
Royce Williams' list of leaked passwords), which holds the ones Chinese users choose most
(``123456``, ``5201314``, ``woaini1314``, ``qq123456``, ``1qaz2wsx``) as well.
"""

import asyncio
import gzip
import re
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from common.errors import Unprocessable
from gateway.identity.settings import IdentitySettings

MIN_LENGTH = 8
# Long enough for any passphrase; bounded because the hash reads it all.
MAX_LENGTH = 128
_COMMON_LIST = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON_LIST, "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def _weak(detail: str, detail_zh: str, code: str, field: str) -> Unprocessable:
    return Unprocessable(detail, detail_zh=detail_zh, code=code, field=field)


def check_password_policy(
    password: str, *, is_phone: Callable[[str], bool], field: str = "password"
) -> None:
    """422 with a code saying what is wrong (``password_too_short``, ``password_common`` …);
    ``is_phone`` tells whether 11 digits are the account's phone number."""
    if len(password) < MIN_LENGTH:
        raise _weak(
            f"password must be at least {MIN_LENGTH} characters",
            f"密码至少 {MIN_LENGTH} 个字符",
            "password_too_short",
            field,
        )
    if len(password) > MAX_LENGTH:
        raise _weak(
            f"password must be at most {MAX_LENGTH} characters",
            f"密码最多 {MAX_LENGTH} 个字符",
            "password_too_long",
            field,
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise _weak(
            "password must not contain control characters",
            "密码不能包含控制字符",
            "password_invalid",
            field,
        )
    folded = password.strip().lower()
    if folded in common_passwords() or len(set(folded)) <= 2:
        raise _weak(
            "this password is among the most common ones and is guessed first; choose "
            "another (a short phrase is easy to remember)",
            "该密码属于最常见的密码,很容易被猜中,请换一个(可以用一句好记的短语)",
            "password_common",
            field,
        )
    digits = re.sub(r"[^0-9]", "", password)
    # The phone is the login name: a password holding it is half of the pair already known.
    if any(is_phone(digits[i : i + 11]) for i in range(len(digits) - 10)):
        raise _weak(
            "password must not contain the phone number",
            "密码不能包含手机号码",
            "password_contains_phone",
            field,
        )


class Passwords:
    """Hashing and verification with the configured Argon2id cost.

    Argon2 is deliberately slow and memory-hard, so it runs in worker threads, at most
    ``concurrency`` at a time: a burst of logins waits instead of exhausting memory.
    """

    def __init__(self, settings: IdentitySettings, *, concurrency: int = 2) -> None:
        self.hasher = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        self._slots = asyncio.Semaphore(concurrency)
        # Unknown phones are checked against this, so they cost what a wrong password does.
        self.dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """Whether ``password`` matches ``stored`` (None: an unknown account, checked against
        the dummy hash all the same), and the new hash when the parameters changed."""
        async with self._slots:
            ok, updated = await asyncio.to_thread(
                self.hasher.verify_and_update, password, stored or self.dummy_hash
            )
        if stored is None:
            return False, None
        return ok, updated
