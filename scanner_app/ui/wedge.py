"""Keyboard-wedge input: USB and Bluetooth scanners that type the code, then Enter."""

from __future__ import annotations

import time
from collections.abc import Callable


class KeyboardWedge:
    """Collects typed characters until Enter. A pause longer than ``gap`` between characters
    starts afresh, so stray key presses before a scan do not corrupt the code."""

    def __init__(
        self, gap: float = 1.0, max_chars: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._gap = gap
        self._max_chars = max_chars
        self._clock = clock
        self._buffer: list[str] = []
        self._last = 0.0

    @property
    def pending(self) -> str:
        return "".join(self._buffer)

    def type(self, text: str) -> None:
        now = self._clock()
        if self._buffer and now - self._last > self._gap:
            self._buffer.clear()
        self._last = now
        if len(self._buffer) < self._max_chars:
            self._buffer.append(text)

    def enter(self) -> str | None:
        """The completed code, or None when nothing was typed."""
        code = "".join(self._buffer).strip()
        self._buffer.clear()
        return code or None
