from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from scanner_app.sources import FolderSource
from scanner_app.ui.main_window import MainWindow
from scanner_app.ui.repeats import RepeatFilter
from scanner_app.ui.wedge import KeyboardWedge
from shared.qr import write_png
from tests.scanner.gate import Gate


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


def test_a_code_held_in_view_passes_once_until_it_has_been_away() -> None:
    clock = FakeClock()
    repeats = RepeatFilter(quiet=3.0, clock=clock)

    seen = []
    for t in (0.0, 1.0, 2.5, 4.0):  # held in front of the camera
        clock.now = t
        seen.append(repeats.allow("T1"))
    clock.now = 8.0  # taken away, shown again
    seen.append(repeats.allow("T1"))

    assert seen == [True, False, False, False, True]
    assert repeats.allow("T2")


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
