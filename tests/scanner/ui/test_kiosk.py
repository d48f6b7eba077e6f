"""Kiosk mode: full screen, no way out without the PIN, and scanning as usual."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from scanner_app.pin import hash_pin
from scanner_app.ui.main_window import MainWindow
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import Open, press_enter, sell, set_up_gate, type_keys

pytestmark = pytest.mark.gui

PIN = "4711"


@pytest.fixture
def locked_gate(gate: Gate) -> Gate:
    set_up_gate(gate, kiosk_pin=hash_pin(PIN))
    return gate


def in_kiosk(window: MainWindow) -> bool:
    return window.kiosk and bool(window.windowState() & Qt.WindowState.WindowFullScreen)


def test_without_a_pin_kiosk_mode_cannot_start_and_says_why(
    qtbot: QtBot, open_window: Open
) -> None:
    window = open_window()

    qtbot.mouseClick(window.kiosk_button, Qt.MouseButton.LeftButton)

    assert not window.kiosk
    assert not window.isFullScreen()
    assert window.notice.isVisible()
    assert "Set one in Settings" in window.notice.text()


def test_kiosk_mode_fills_the_screen_and_hides_the_settings(
    qtbot: QtBot, open_window: Open, locked_gate: Gate
) -> None:
    window = open_window()

    qtbot.mouseClick(window.kiosk_button, Qt.MouseButton.LeftButton)

    assert in_kiosk(window)
    assert not window.settings_button.isVisible()
    assert window.kiosk_button.text() == "Leave kiosk"
    assert window.search_button.isVisible()


def test_closing_the_window_or_escape_does_not_leave_kiosk_mode(
    qtbot: QtBot, open_window: Open, locked_gate: Gate
) -> None:
    window = open_window()
    window.enter_kiosk()

    assert window.close() is False  # what Alt+F4 or the window manager's close button asks
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    window.showNormal()  # a window manager trying to restore it
    qtbot.waitUntil(lambda: in_kiosk(window), timeout=3000)

    assert window.isVisible()
    assert "PIN" in window.notice.text()


def test_a_wrong_pin_keeps_kiosk_mode_and_the_right_one_leaves(
    open_window: Open, locked_gate: Gate
) -> None:
    window = open_window()
    window.enter_kiosk()

    assert window.leave_kiosk("0000") is False
    assert in_kiosk(window)
    assert window.leave_kiosk(PIN) is True
    assert not window.kiosk
    assert not window.isFullScreen()
    assert window.settings_button.isVisible()
    assert window.close() is True


def test_the_pin_pad_shows_an_error_for_a_wrong_pin_and_stays_open(
    qtbot: QtBot, open_window: Open, locked_gate: Gate
) -> None:
    window = open_window()
    window.enter_kiosk()
    qtbot.mouseClick(window.kiosk_button, Qt.MouseButton.LeftButton)
    pad = window.pin_pad
    assert pad is not None
    qtbot.waitExposed(pad)
    assert all(button.height() >= 48 for button in pad.digit_buttons.values())

    for digit in "1234":
        qtbot.mouseClick(pad.digit_buttons[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.ok_button, Qt.MouseButton.LeftButton)

    assert pad.isVisible()
    assert pad.error.text() == "Wrong PIN. Try again."
    assert pad.pin == ""
    assert in_kiosk(window)

    for digit in PIN:
        qtbot.mouseClick(pad.digit_buttons[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.ok_button, Qt.MouseButton.LeftButton)

    assert not pad.isVisible()
    assert not window.kiosk


def test_cancelling_the_pin_pad_stays_in_kiosk_mode(
    qtbot: QtBot, open_window: Open, locked_gate: Gate
) -> None:
    window = open_window()
    window.enter_kiosk()
    pad = window.ask_to_leave_kiosk()

    qtbot.mouseClick(pad.digit_buttons["4"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.cancel_button, Qt.MouseButton.LeftButton)

    assert not pad.isVisible()
    assert in_kiosk(window)


def test_the_pin_can_be_typed_on_a_keyboard(
    qtbot: QtBot, open_window: Open, locked_gate: Gate
) -> None:
    window = open_window()
    window.enter_kiosk()
    pad = window.ask_to_leave_kiosk()
    qtbot.waitExposed(pad)

    qtbot.keyClicks(pad, "47")
    qtbot.keyClick(pad, Qt.Key.Key_Backspace)
    qtbot.keyClicks(pad, "711")
    qtbot.keyClick(pad, Qt.Key.Key_Return)

    assert not window.kiosk


def test_the_window_can_start_in_kiosk_mode_and_scans_as_usual(
    qtbot: QtBot, open_window: Open, locked_gate: Gate
) -> None:
    window = open_window(kiosk=True, verdict_seconds=60)
    assert in_kiosk(window)

    type_keys(qtbot, window, sell(locked_gate, "Ada Lovelace")[0])
    press_enter(qtbot, window)

    assert window.verdict_view.title.text() == "Admitted"
    assert window.kiosk
