"""The real gate window, offscreen, over a real paired store with real signed tickets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from scanner_app.core import ScannerCore
from scanner_app.sources import FrameSource
from scanner_app.sync import SyncService
from scanner_app.ui.main_window import MainWindow
from shared.messages import ManifestPage, TicketEntry
from shared.token import ticket_ref
from tests.scanner.gate import Gate

GREEN = QColor("#1b8a3a")
RED = QColor("#c62828")
AMBER = QColor("#f2a900")

Open = Callable[..., MainWindow]


@pytest.fixture
def open_window(qtbot: QtBot, gate: Gate) -> Iterator[Open]:
    """Opens the gate window like ``bilten scanner`` does: shown, then started."""
    windows: list[MainWindow] = []

    def open_(
        source: FrameSource | None = None,
        sync: SyncService | None = None,
        *,
        core: ScannerCore | None = None,
        size: tuple[int, int] = (1024, 700),
        start: bool = True,
        **kw: Any,
    ) -> MainWindow:
        window = MainWindow(core or gate.core(), source, sync, **kw)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        if start:
            window.start()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.shutdown()


def set_up_gate(gate: Gate, **changes: Any) -> None:
    """Gate settings as staff would save them, before the window opens."""
    gate.store.save_settings(replace(gate.store.settings(), **changes))


def sell(
    gate: Gate,
    holder: str = "Ada Lovelace",
    *,
    type_id: int = 1,
    type_name: str = "General admission",
    revoked: bool = False,
    max_entries: int = 1,
    reentry: bool = False,
) -> tuple[str, str]:
    """A ticket in the gate's manifest; returns its QR text and its ticket id."""
    claims = gate.maker.claims(type_id=type_id)
    ref = ticket_ref(claims.ticket_id)
    gate.store.apply_manifest_page(
        ManifestPage(
            next_cursor=f"after-{ref}",
            has_more=False,
            tickets=[
                TicketEntry(
                    ticket_id=ref,
                    event_id=claims.event_id,
                    type_id=type_id,
                    type_name=type_name,
                    holder_name=holder,
                    revoked=revoked,
                    max_entries=max_entries,
                    reentry=reentry,
                )
            ],
        )
    )
    return gate.maker.token(claims), ref


def shown_colour(window: MainWindow) -> QColor:
    """The colour a person at the gate sees: a pixel of the rendered verdict."""
    return window.verdict_view.grab().toImage().pixelColor(4, 4)


def wait_for_verdict(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(window.verdict_view.isVisible, timeout=5000)


def type_keys(qtbot: QtBot, window: MainWindow, text: str, delay_ms: int = -1) -> None:
    """Key presses as a keyboard (or a wedge scanner) sends them: to the focused widget."""
    target: QWidget = QApplication.focusWidget() or window
    qtbot.keyClicks(target, text, delay=delay_ms)


def press_enter(qtbot: QtBot, window: MainWindow) -> None:
    target: QWidget = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_Return)
