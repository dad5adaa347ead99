"""Records kept per caller scope for a short while, each with its ETag.

A mobile app re-reading a station it just showed costs no service call inside the window,
and no bytes at all when it sends the ETag back (304). The ETag is a hash of the answer and
the scope it was made for, so two scopes never share one, and an answer that did not change
keeps its tag after the window: a 304 then still saves the app the download. Incomplete
records are not kept — the missing part should show as soon as its service is back.
"""

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cached:
    etag: str
    body: bytes
    expires: float


def etag_of(scope_key: str, body: bytes) -> str:
    digest = hashlib.sha256(scope_key.encode() + b"\n" + body).hexdigest()[:32]
    return f'"{digest}"'


class RecordCache:
    """Kept in the order they were put, which is the order they expire in (one window for
    all): each ``put`` drops the expired ones from the front, so what the cache holds is
    what was put inside the window (at most ``entries``), not every record ever read — a
    soak reading thousands of distinct stations would otherwise keep each until pushed out
    by the count."""

    def __init__(
        self, seconds: float, entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._entries = entries
        self._clock = clock
        self._items: OrderedDict[tuple[str, ...], Cached] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[str, ...]) -> Cached | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found.expires < self._clock():
            del self._items[key]
            return None
        return found

    def put(self, key: tuple[str, ...], etag: str, body: bytes) -> None:
        if self._seconds <= 0 or self._entries <= 0:
            return
        now = self._clock()
        self._items.pop(key, None)
        self._items[key] = Cached(etag, body, now + self._seconds)
        while self._items:
            oldest = next(iter(self._items.values()))
            if oldest.expires >= now and len(self._items) <= self._entries:
                break
            self._items.popitem(last=False)
