"""Phones as login names: personal data, so the gateway keeps only what signing in needs.

A phone is stored as a keyed index (HMAC-SHA256, ADR 0061) to find the account and a mask
(``138****8000``) to show it; the number itself is never stored or logged. Without the key
the index cannot be reversed by trying every mobile number.
"""

import hashlib
import hmac

from common.identifiers import mask_phone, normalize_mobile

__all__ = ["PhoneIndex", "mask_phone", "normalize_mobile"]


class PhoneIndex:
    """The keyed index of a normalised mobile number."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def __call__(self, phone: str) -> str:
        return hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest()
