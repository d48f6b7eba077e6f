"""Hybrid logical clock: an ordering of scans that holds when device clocks disagree.

Each timestamp is (wall milliseconds, counter, node). A device never issues a timestamp lower
than one it has issued or seen, so causality survives a clock that jumps back, and ties between
devices break on the node id, the same way on every node.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_MAX_COUNTER = 0xFFFF
# The same alphabet the sync messages accept for a timestamp's node (shared.messages.HlcText).
_NODE = re.compile(r"[A-Za-z0-9_.]{1,64}")


@dataclass(frozen=True, slots=True, order=True)
class Hlc:
    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        """Fixed-width text that sorts like the timestamp itself."""
        return f"{self.wall_ms:015d}-{self.counter:05d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        """Raises ValueError for anything ``encode`` did not produce."""
        wall, sep1, rest = text.partition("-")
        counter, sep2, node = rest.partition("-")
        if not (sep1 and sep2 and node and len(wall) == 15 and len(counter) == 5):
            raise ValueError(f"not a clock timestamp: {text!r}")
        if not (wall.isdigit() and counter.isdigit()):
            raise ValueError(f"not a clock timestamp: {text!r}")
        return cls(int(wall), int(counter), node)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    """Thread-safe HLC for one node."""

    def __init__(self, node: str, wall: Callable[[], int] = wall_clock_ms) -> None:
        if not _NODE.fullmatch(node):
            raise ValueError("node id must be 1-64 letters, digits, '_' or '.'")
        self.node = node
        self._wall = wall
        self._last = Hlc(0, 0, node)
        self._lock = threading.Lock()

    def now(self) -> Hlc:
        with self._lock:
            wall = self._wall()
            if wall > self._last.wall_ms:
                self._last = Hlc(wall, 0, self.node)
            else:
                self._last = self._advance(self._last.wall_ms, self._last.counter)
            return self._last

    def observe(self, remote: Hlc) -> None:
        """Fold in a timestamp seen from another node, so later local stamps sort after it."""
        with self._lock:
            wall = self._wall()
            top = max(wall, self._last.wall_ms, remote.wall_ms)
            if top == self._last.wall_ms == remote.wall_ms:
                counter = max(self._last.counter, remote.counter)
            elif top == self._last.wall_ms:
                counter = self._last.counter
            elif top == remote.wall_ms:
                counter = remote.counter
            else:
                self._last = Hlc(top, 0, self.node)
                return
            self._last = self._advance(top, counter)

    def _advance(self, wall_ms: int, counter: int) -> Hlc:
        if counter >= _MAX_COUNTER:
            # Borrow a millisecond rather than overflow the fixed-width counter.
            return Hlc(wall_ms + 1, 0, self.node)
        return Hlc(wall_ms, counter + 1, self.node)
