"""The device's own numbers beside the scan view."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from scanner_app.ui.main_window import MainWindow
from shared.messages import Direction
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import Open, sell, set_up_gate

pytestmark = pytest.mark.gui


def numbers(window: MainWindow) -> dict[str, str]:
    view = window.stats_view
    return {
        "admitted": view.admitted.text(),
        "rejected": view.rejected.text(),
        "attention": view.attention.text(),
        "exits": view.exits.text(),
        "per_minute": view.per_minute.text(),
    }


def test_a_fresh_gate_shows_zeros(open_window: Open) -> None:
    window = open_window()

    assert numbers(window) == {
        "admitted": "0",
        "rejected": "0",
        "attention": "0",
        "exits": "0",
        "per_minute": "0",
    }


def test_each_scan_updates_the_numbers_at_once(open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=60)
    token, _ = sell(gate)

    window.submit(token)  # admitted
    window.submit(sell(gate, "Grace Hopper")[0])  # admitted
    window.submit(gate.maker.forge())  # rejected
    window.submit(token)  # already admitted: needs a look
    window.dismiss()

    shown = numbers(window)
    assert (shown["admitted"], shown["rejected"], shown["attention"]) == ("2", "1", "1")
    assert shown["exits"] == "0"
    sparkline = window.stats_view.sparkline
    assert len(sparkline.values) == 15
    assert sum(sparkline.values) == 4  # all four within the last minute or two
    assert shown["per_minute"] == str(sparkline.values[-1])


def test_exits_are_counted_apart_from_admissions(open_window: Open, gate: Gate) -> None:
    set_up_gate(gate, direction=Direction.EXIT)
    window = open_window(verdict_seconds=60)

    window.submit(sell(gate)[0])
    window.submit(sell(gate)[0])
    window.dismiss()

    assert numbers(window)["exits"] == "2"
    assert numbers(window)["admitted"] == "0"


def test_scans_recorded_elsewhere_on_this_device_show_up_within_the_refresh(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(stats_interval=0.1)

    gate.core().scan(sell(gate)[0])  # e.g. a scan whose verdict the window never showed

    qtbot.waitUntil(lambda: numbers(window)["admitted"] == "1", timeout=3000)


def test_the_sparkline_draws_a_bar_for_the_current_minute(open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=60)
    window.submit(sell(gate)[0])
    window.dismiss()

    sparkline = window.stats_view.sparkline
    picture = sparkline.grab().toImage()
    bar_colour = sparkline.palette().color(QPalette.ColorRole.Highlight)
    slot = sparkline.values.index(1)  # the current minute, or the one before at a turn
    bar_column = picture.width() * (2 * slot + 1) // 30
    first_column = picture.width() // 30
    middle_row = picture.height() // 2

    assert picture.pixelColor(bar_column, middle_row) == bar_colour
    assert picture.pixelColor(first_column, middle_row) != bar_colour
