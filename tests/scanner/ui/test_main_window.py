from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from scanner_app.sources import FolderSource, FrameSource, ImageSource
from scanner_app.sync import SyncService, SyncStatus
from scanner_app.ui.main_window import MainWindow
from shared.qr import write_png
from tests.scanner.gate import Gate
from tests.support import free_port

pytestmark = pytest.mark.gui

GREEN = QColor("#1b8a3a")
RED = QColor("#c62828")
AMBER = QColor("#f2a900")

Open = Callable[..., MainWindow]


@pytest.fixture
def open_window(qtbot: QtBot, gate: Gate) -> Iterator[Open]:
    windows: list[MainWindow] = []

    def open_(
        source: FrameSource | None = None, sync: SyncService | None = None, **kw: float
    ) -> MainWindow:
        window = MainWindow(gate.core(), source, sync, **kw)
        qtbot.addWidget(window)
        window.resize(800, 600)
        window.show()
        qtbot.waitExposed(window)
        window.start()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.shutdown()


def shown_colour(window: MainWindow) -> QColor:
    """The colour a person at the gate sees: a pixel of the rendered verdict."""
    return window.verdict_view.grab().toImage().pixelColor(4, 4)


def wait_for_verdict(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(window.verdict_view.isVisible, timeout=5000)


def test_valid_ticket_from_an_image_shows_green_admitted(
    qtbot: QtBot,
    open_window: Open,
    gate: Gate,
    tmp_path: Path,
) -> None:
    write_png(gate.sell(holder="Grace Hopper"), tmp_path / "ticket.png")

    window = open_window(ImageSource(tmp_path / "ticket.png"), verdict_seconds=60)
    wait_for_verdict(qtbot, window)

    view = window.verdict_view
    assert view.title.text() == "Admitted"
    assert view.glyph.text() == "\u2714"
    assert "Grace Hopper" in view.ticket.text()
    assert "General admission" in view.ticket.text()
    assert shown_colour(window) == GREEN
    assert gate.store.pending_count() == 1


def test_forged_ticket_from_a_folder_shows_red(
    qtbot: QtBot,
    open_window: Open,
    gate: Gate,
    tmp_path: Path,
) -> None:
    write_png(gate.maker.forge(), tmp_path / "forged.png")

    window = open_window(FolderSource(tmp_path, frame_interval=0.0), verdict_seconds=60)
    wait_for_verdict(qtbot, window)

    assert window.verdict_view.title.text() == "Forged ticket"
    assert window.verdict_view.glyph.text() == "\u2716"
    assert shown_colour(window) == RED


def test_keyboard_wedge_admits_wherever_the_focus_is(
    qtbot: QtBot,
    open_window: Open,
    gate: Gate,
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.sell(holder="Ada Lovelace")

    qtbot.keyClicks(window, token)
    qtbot.keyClick(window, Qt.Key.Key_Return)

    assert window.verdict_view.isVisible()
    assert window.verdict_view.title.text() == "Admitted"
    assert "Ada Lovelace" in window.verdict_view.ticket.text()


def test_typing_a_code_in_the_manual_field_admits(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.sell()
    window.scan_view.entry.setFocus()

    qtbot.keyClicks(window.scan_view.entry, token)
    qtbot.keyClick(window.scan_view.entry, Qt.Key.Key_Return)

    assert window.verdict_view.title.text() == "Admitted"
    assert window.scan_view.entry.text() == ""


def test_second_scan_is_amber_and_says_when_and_where(
    qtbot: QtBot,
    open_window: Open,
    gate: Gate,
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.sell()

    window.submit(token)
    window.dismiss()
    window.submit(token)

    view = window.verdict_view
    assert view.title.text() == "Already admitted"
    assert view.glyph.text() == "\u26a0"
    assert "gate North" in view.previous.text()
    assert "this scanner" in view.previous.text()
    assert shown_colour(window) == AMBER


def test_verdict_goes_away_by_itself(qtbot: QtBot, open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=0.2)

    window.submit(gate.sell())

    assert window.verdict_view.isVisible()
    qtbot.waitUntil(window.scan_view.isVisible, timeout=3000)


def test_a_click_or_a_key_dismisses_early(qtbot: QtBot, open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=60)

    window.submit("garbage")
    assert window.verdict_view.title.text() == "Not a ticket"
    qtbot.mouseClick(window.verdict_view, Qt.MouseButton.LeftButton)
    assert window.scan_view.isVisible()

    window.submit("garbage")
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.scan_view.isVisible()


def test_offline_venue_shows_offline_and_scanning_goes_on(
    qtbot: QtBot,
    open_window: Open,
    gate: Gate,
) -> None:
    device = gate.store.device()
    assert device is not None
    gate.store.save_device(replace(device, venue_url=f"http://127.0.0.1:{free_port()}"))
    sync = SyncService(gate.store, gate.clock)

    window = open_window(sync=sync, verdict_seconds=60, sync_interval=60)
    qtbot.waitUntil(lambda: window.status_line.status is SyncStatus.OFFLINE, timeout=10000)
    window.submit(gate.sell())

    assert "Offline" in window.status_line.connection.text()
    assert window.verdict_view.title.text() == "Admitted"
    assert "1 scan(s) waiting to upload" in window.status_line.pending.text()


def test_a_failing_database_shows_not_recorded_instead_of_a_verdict(
    open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.sell()
    gate.store.close()  # what a yanked USB stick or a full disk looks like to the core

    window.submit(token)

    assert window.verdict_view.title.text() == "Scan NOT recorded"
    assert window.verdict_view.reason is None
    assert shown_colour(window) == RED


def test_a_source_that_cannot_be_read_is_shown_and_typing_still_works(
    qtbot: QtBot, open_window: Open, gate: Gate, tmp_path: Path
) -> None:
    (tmp_path / "broken.png").write_bytes(b"not an image")

    window = open_window(ImageSource(tmp_path / "broken.png"), verdict_seconds=60)
    qtbot.waitUntil(lambda: "Camera problem" in window.scan_view.source_state.text(), timeout=5000)
    qtbot.keyClicks(window, gate.sell())
    qtbot.keyClick(window, Qt.Key.Key_Return)

    assert window.verdict_view.title.text() == "Admitted"
