"""Keyboard-wedge input: USB and Bluetooth scanners that type the code, then Enter.

A wedge scanner is a keyboard to the computer, so its code lands wherever the focus is: in the
search field, in a settings dialog, on a button. :class:`WedgeFilter` watches every key press
of the gate window and its dialogs at application level and tells a scan from a person typing
by speed: a scanner types a whole code in a fast burst and ends it with Enter, people do not.
Typing in text fields is left alone; only a burst ending in Enter is taken out of the field
and judged as a scan.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# Keys a scanner sends around characters (Shift for capitals) that do not break a burst.
_MODIFIER_KEYS = (
    Qt.Key.Key_Shift,
    Qt.Key.Key_Control,
    Qt.Key.Key_Alt,
    Qt.Key.Key_AltGr,
    Qt.Key.Key_Meta,
    Qt.Key.Key_CapsLock,
)
BURST_GAP = 0.08  # seconds; scanners type a character every few ms, people every 100+ ms
MIN_BURST_CHARS = 8  # shorter bursts are a person's fast fingers, not a ticket code


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

    def enter(self, *, fresh: bool = False) -> str | None:
        """The completed code, or None when nothing was typed (or, with ``fresh``, when the
        Enter came more than ``gap`` after the last character)."""
        stale = fresh and self._clock() - self._last > self._gap
        code = "".join(self._buffer).strip()
        self._buffer.clear()
        return None if stale else code or None

    def clear(self) -> None:
        self._buffer.clear()


def _takes_text(widget: QWidget) -> bool:
    if isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, QAbstractSpinBox)


def _take_back(widget: QWidget, code: str) -> None:
    """Remove a scanned code that a text field received as typing, if it is still there."""
    if isinstance(widget, QLineEdit):
        text, cursor = widget.text(), widget.cursorPosition()
        if text[:cursor].endswith(code):
            widget.setText(text[: cursor - len(code)] + text[cursor:])
            widget.setCursorPosition(cursor - len(code))
    elif isinstance(widget, QTextEdit | QPlainTextEdit):
        selection = widget.textCursor()
        selection.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(code)
        )
        if selection.selectedText() == code:
            selection.removeSelectedText()


class WedgeFilter(QObject):
    """An application event filter for one window and the dialogs it owns.

    While the window itself has the focus (the normal scanning state) every typed character
    belongs to a code, at any speed. Elsewhere (a text field, a dialog) only a fast burst of
    at least ``min_chars`` characters ending in Enter is a scan.
    """

    scanned = Signal(str)
    typing = Signal()  # a character went into a code typed on the window itself

    def __init__(
        self,
        window: QWidget,
        *,
        burst_gap: float = BURST_GAP,
        min_chars: int = MIN_BURST_CHARS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._min_chars = min_chars
        self._codes = KeyboardWedge(gap=1.0, clock=clock)
        self._burst = KeyboardWedge(gap=burst_gap, clock=clock)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() is not QEvent.Type.KeyPress or not isinstance(watched, QWidget):
            return False
        if not self._first_receiver(watched) or not self._owns(watched):
            return False
        assert isinstance(event, QKeyEvent)
        if watched is self._window:
            return self._collect(event)
        return self._watch_burst(watched, event)

    def _first_receiver(self, widget: QWidget) -> bool:
        """A key event travels from the focus widget up to its window; judge it once."""
        focus = QApplication.focusWidget()
        return widget is focus or (focus is None and widget.isWindow())

    def _owns(self, widget: QWidget) -> bool:
        top: QWidget | None = widget.window()
        while top is not None:
            if top is self._window:
                return True
            parent = top.parentWidget()
            top = parent.window() if parent is not None else None
        return False

    def _collect(self, event: QKeyEvent) -> bool:
        """The window itself has the focus: every character is part of a code."""
        if event.key() in ENTER_KEYS:
            code = self._codes.enter()
            if code is None:
                return False  # a plain Enter: the window uses it to dismiss a verdict
            self.scanned.emit(code)
            return True
        text = event.text()
        if not text or not text.isprintable() or (text == " " and not self._codes.pending):
            return False
        self._codes.type(text)
        self.typing.emit()
        return True

    def _watch_burst(self, widget: QWidget, event: QKeyEvent) -> bool:
        """Focus elsewhere: let the keys through, but catch a scanner's burst at its Enter."""
        key = event.key()
        if key in ENTER_KEYS:
            code = self._burst.enter(fresh=True)
            if code is None or len(code) < self._min_chars:
                return False
            if _takes_text(widget):
                _take_back(widget, code)
            self.scanned.emit(code)
            return True
        text = event.text()
        if text and text.isprintable():
            self._burst.type(text)
        elif key not in _MODIFIER_KEYS:
            self._burst.clear()
        return False
