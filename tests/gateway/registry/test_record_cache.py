"""The record cache holds what was put inside its window, never more than its count."""

from gateway.registry.records.cache import RecordCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_expired_records_leave_when_others_are_put() -> None:
    clock = Clock()
    cache = RecordCache(15.0, 100, clock)
    for n in range(50):
        cache.put(("scope", f"{n}"), f'"{n}"', b"{}")
        clock.now += 1.0
    # One a second for 50 s with a 15 s window: at the last put, the 16 put since 15 s.
    assert len(cache) == 16
    assert cache.get(("scope", "34")) is None
    assert cache.get(("scope", "49")) is not None


def test_the_count_bounds_it_and_a_record_put_again_is_renewed() -> None:
    clock = Clock()
    cache = RecordCache(15.0, 3, clock)
    for n in range(5):
        cache.put(("scope", f"{n}"), f'"{n}"', b"{}")
    assert len(cache) == 3
    assert cache.get(("scope", "1")) is None
    clock.now += 10.0
    cache.put(("scope", "2"), '"2b"', b"{}")
    clock.now += 10.0
    cache.put(("scope", "5"), '"5"', b"{}")
    assert cache.get(("scope", "3")) is None  # put 20 s ago
    renewed = cache.get(("scope", "2"))
    assert renewed is not None
    assert renewed.etag == '"2b"'


def test_a_window_of_zero_keeps_nothing() -> None:
    cache = RecordCache(0.0, 100)
    cache.put(("scope", "1"), '"1"', b"{}")
    assert len(cache) == 0
