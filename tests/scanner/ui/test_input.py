from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from scanner_app.sources import FolderSource
from scanner_app.ui.main_window import MainWindow
from scanner_app.ui.wedge import KeyboardWedge
from shared.qr import write_png
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import Open, press_enter, sell, type_keys


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_wedge_returns_the_typed_code_on_enter_and_drops_stale_keys() -> None:
    clock = FakeClock()
    wedge = KeyboardWedge(gap=1.0, clock=clock)
    wedge.type("x")  # a stray key press long before the scan
    clock.now = 5.0
    for char in "ABC123":
        wedge.type(char)
        clock.now += 0.01

    assert wedge.enter() == "ABC123"
    assert wedge.enter() is None


@pytest.mark.gui
def test_the_same_ticket_in_many_frames_is_recorded_once(
    qtbot: QtBot, gate: Gate, tmp_path: Path
) -> None:
    token = gate.sell()
    for i in range(4):
        write_png(token, tmp_path / f"frame{i}.png")
    window = MainWindow(
        gate.core(), FolderSource(tmp_path, frame_interval=0.0), None, verdict_seconds=60
    )
    qtbot.addWidget(window)
    window.show()
    window.start()
    thread = window._camera_thread
    assert thread is not None
    qtbot.waitUntil(thread.isFinished, timeout=5000)
    qtbot.wait(50)  # let the queued frame signals reach the window

    assert window.verdict_view.title.text() == "Admitted"
    assert len(gate.store.recent_scans()) == 1
    window.shutdown()


# -- a wedge scanner wherever the focus is ------------------------------------------------


@pytest.mark.gui
def test_a_scan_into_the_search_field_is_judged_and_not_left_in_the_field(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    window.open_search()
    panel = window.search_panel
    assert panel is not None
    qtbot.waitUntil(panel.search_field.hasFocus, timeout=3000)
    panel.search_field.setText("Ada")  # staff had started a search

    type_keys(qtbot, window, sell(gate, "Grace Hopper")[0])
    press_enter(qtbot, window)

    assert window.showing_verdict
    assert window.verdict_view.holder.text() == "Grace Hopper"
    assert panel.search_field.text() == "Ada"
    assert len(gate.store.recent_scans()) == 1


@pytest.mark.gui
def test_typing_in_the_search_field_at_human_speed_stays_a_search(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    sell(gate, "Katherine Johnson")
    window = open_window(verdict_seconds=60)
    window.open_search()
    panel = window.search_panel
    assert panel is not None
    qtbot.waitUntil(panel.search_field.hasFocus, timeout=3000)

    type_keys(qtbot, window, "Katherine", delay_ms=120)
    press_enter(qtbot, window)

    assert not window.showing_verdict
    assert panel.search_field.text() == "Katherine"
    assert gate.store.recent_scans() == []
    qtbot.waitUntil(lambda: panel.results.rowCount() == 1, timeout=3000)


@pytest.mark.gui
def test_a_short_fast_word_is_not_taken_for_a_scan(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    window.open_search()
    panel = window.search_panel
    assert panel is not None
    qtbot.waitUntil(panel.search_field.hasFocus, timeout=3000)

    type_keys(qtbot, window, "Ada")
    press_enter(qtbot, window)

    assert not window.showing_verdict
    assert panel.search_field.text() == "Ada"


@pytest.mark.gui
def test_a_scan_while_the_settings_are_open_is_judged(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.zone_field.setFocus()
    qtbot.waitUntil(dialog.zone_field.hasFocus, timeout=3000)

    type_keys(qtbot, window, sell(gate, "Grace Hopper")[0])
    press_enter(qtbot, window)

    assert window.showing_verdict
    assert window.verdict_view.holder.text() == "Grace Hopper"
    assert dialog.zone_field.text() == ""
    assert dialog.isVisible()  # Enter was the scanner's, not a click on Save
