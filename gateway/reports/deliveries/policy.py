"""When to try a delivery again, and what an answer means (ADR 0081).

Retry schedule: after the n-th failed attempt the next waits ``min(30 s × 2^(n-1), 6 h)``
times a random factor in [1, 1.25) (jitter: a platform back from an outage is not hit by
every sender at once), or the target's ``Retry-After`` when that is longer (at most a day).
Fourteen attempts in all:

| after attempt | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
| wait (before jitter) | 30 s | 1 min | 2 min | 4 min | 8 min | 16 min | 32 min | 64 min | 2 h 8 min | 4 h 16 min | 6 h | 6 h | 6 h |

so the last attempt comes at least 26 h 31 min after the first: an outage of a day is
outlasted. Then the delivery is ``failed`` and the target's admin alerted; a replay starts over.
"""

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

MAX_ATTEMPTS = 14
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
JITTER = 0.25
MAX_RETRY_AFTER = timedelta(days=1)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    REJECTED = "rejected"
    GONE = "gone"


def outcome_of(status_code: int) -> Outcome:
    """2xx delivered; 410 gone (the target is disabled); 408, 425, 429 and 5xx tried again;
    any other answer (other 4xx, a redirect we do not follow) stops and alerts."""
    if 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code == 410:
        return Outcome.GONE
    if status_code in (408, 425, 429) or status_code >= 500:
        return Outcome.RETRY
    return Outcome.REJECTED


def backoff(failed_attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after ``failed_attempts`` failures (1 after the first), jitter included."""
    base = min(FIRST_DELAY * 2 ** (failed_attempts - 1), MAX_DELAY)
    return base * (1 + (rng or random).random() * JITTER)


def retry_after(header: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not header:
        return None
    value = header.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - now
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def next_wait(
    failed_attempts: int, retry_after_wait: timedelta | None, rng: random.Random | None = None
) -> timedelta | None:
    """How long until the next attempt; None when ``failed_attempts`` used them all."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    wait = backoff(failed_attempts, rng)
    return max(wait, retry_after_wait) if retry_after_wait is not None else wait
