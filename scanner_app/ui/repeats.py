"""A camera sees the same QR code in many consecutive frames; scan it once, not thirty times."""

from __future__ import annotations

import time
from collections.abc import Callable


class RepeatFilter:
    """Lets a code through, then holds the same code back until it has been out of sight for
    ``quiet`` seconds. Showing the ticket again after that is a real second scan."""

    def __init__(self, quiet: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._quiet = quiet
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def allow(self, code: str) -> bool:
        now = self._clock()
        self._last_seen = {c: t for c, t in self._last_seen.items() if now - t <= self._quiet}
        fresh = code not in self._last_seen
        self._last_seen[code] = now
        return fresh
