from __future__ import annotations

import itertools

import pytest

from shared.clock import Hlc, HybridClock


class StepClock:
    def __init__(self, value: int) -> None:
        self.value = value

    def __call__(self) -> int:
        return self.value


def test_stamps_keep_rising_when_the_wall_clock_jumps_back():
    wall = StepClock(10_000)
    clock = HybridClock("a", wall)
    first = clock.now()
    wall.value = 5_000  # NTP correction, or a drained RTC battery
    second = clock.now()
    assert second > first
    assert second.encode() > first.encode()


def test_a_device_with_a_slow_clock_orders_after_what_it_has_seen():
    fast = HybridClock("fast", StepClock(100_000))
    slow = HybridClock("slow", StepClock(1_000))
    seen = fast.now()
    slow.observe(seen)
    assert slow.now() > seen


def test_encoding_round_trips_and_sorts_like_the_stamp():
    stamps = [Hlc(5, 2, "x"), Hlc(5, 10, "a"), Hlc(40, 0, "b")]
    encoded = [s.encode() for s in stamps]
    assert sorted(encoded) == encoded
    assert [Hlc.parse(e) for e in encoded] == stamps


@pytest.mark.parametrize("bad", ["", "12-3-x", "000000000000001-00001-", "abc"])
def test_parse_refuses_what_encode_never_makes(bad):
    with pytest.raises(ValueError):
        Hlc.parse(bad)


def test_counter_overflow_borrows_a_millisecond():
    clock = HybridClock("a", StepClock(7))
    stamps = [clock.now() for _ in range(70_000)]
    assert all(b > a for a, b in itertools.pairwise(stamps))


@pytest.mark.parametrize("node", ["", "a-b", "gate 1", "x" * 65])
def test_node_ids_the_sync_messages_would_refuse_are_refused_up_front(node):
    with pytest.raises(ValueError):
        HybridClock(node)
