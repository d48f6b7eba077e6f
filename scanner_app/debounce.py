"""A camera sees the same ticket in dozens of consecutive frames; it must count as one scan.

Qt-free, so the camera worker, a command-line reader and the tests share it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

DEFAULT_HOLD_SECONDS = 3.0


class Debounce:
    """Passes a code the first time it is seen, then holds it back for as long as it stays in
    view and for ``hold`` seconds after it was last seen.

    Every sighting restarts the hold, so a ticket held in front of the camera for a minute is
    one scan; the same ticket shown again after it has been out of view for ``hold`` seconds
    is a new scan (and the admission rules decide whether it is a re-entry or a duplicate).
    The clock is injectable so tests need no sleeps.
    """

    def __init__(
        self, hold: float = DEFAULT_HOLD_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if hold < 0:
            raise ValueError("hold must not be negative")
        self.hold = hold
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def fresh(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The codes among ``codes`` (one frame's worth) that count as new scans, in order."""
        now = self._clock()
        self._forget_older_than(now - self.hold)
        new = []
        for code in codes:
            if code not in self._last_seen and code not in new:
                new.append(code)
        for code in codes:
            self._last_seen[code] = now
        return tuple(new)

    def seen(self, code: str) -> bool:
        """Whether ``code`` is being held back right now."""
        last = self._last_seen.get(code)
        return last is not None and self._clock() - last <= self.hold

    def clear(self) -> None:
        """Forget everything, e.g. when the source changes."""
        self._last_seen.clear()

    def _forget_older_than(self, cutoff: float) -> None:
        # Pruned on every call, so a long evening of distinct tickets does not grow the map.
        stale = [code for code, last in self._last_seen.items() if last < cutoff]
        for code in stale:
            del self._last_seen[code]
