"""Standard Webhooks signatures (``standardwebhooks``): ``webhook-id``, ``webhook-timestamp``
and ``webhook-signature`` = ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``, one per valid
secret (two while a target rotates), space-separated, so a receiver holding either accepts."""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes (192 bits), base64, with the ``whsec_`` prefix receivers expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def hint(secret: str) -> str:
    """The first characters, so a person can tell which secret a receiver holds."""
    return secret[:12]


def signed_headers(
    webhook_id: str, body: bytes, signing_secrets: Sequence[str], at: datetime
) -> dict[str, str]:
    """The three headers for ``body``; ``at`` is the time of sending (receivers refuse a
    timestamp more than 5 minutes from their clock, so never a scheduled or simulated time)."""
    text = body.decode()
    signatures = [
        Webhook(s).sign(msg_id=webhook_id, timestamp=at, data=text) for s in signing_secrets
    ]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
