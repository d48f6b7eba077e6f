from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from scanner_app.sources import FolderSource, ImageSource
from shared.messages import Direction
from shared.qr import write_png
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import (
    GREEN,
    RED,
    Open,
    press_enter,
    set_up_gate,
    shown_colour,
    type_keys,
    wait_for_verdict,
)

pytestmark = pytest.mark.gui


def test_the_waiting_screen_says_what_to_do_and_what_this_gate_does(
    open_window: Open, gate: Gate
) -> None:
    set_up_gate(gate, zone="Balcony")
    window = open_window()

    assert window.scan_view.isVisible()
    assert "QR code" in window.scan_view.prompt.text()
    assert "ENTRY" in window.header.badge.text()
    assert window.header.gate.text() == "Gate North"
    assert window.header.zone.text() == "Zone: Balcony"
    assert window.stats_view.isVisible()
    assert "Test Arena" in window.status_line.where.text()


def test_controls_are_big_enough_for_a_fingertip(open_window: Open) -> None:
    window = open_window()

    buttons = (
        window.search_button,
        window.settings_button,
        window.sync_button,
        window.kiosk_button,
        window.scan_view.check,
    )
    assert [b.text() for b in buttons] == ["Search", "Settings", "Sync now", "Kiosk", "Check"]
    assert all(b.isVisible() and b.height() >= 48 for b in buttons)
    assert window.scan_view.entry.height() >= 48


def test_an_upright_tablet_puts_the_numbers_under_the_scan_view(open_window: Open) -> None:
    window = open_window(size=(600, 900))

    assert window.stats_view.geometry().top() >= window.work_area.geometry().bottom()


def test_the_camera_picture_fills_the_view_and_keeps_its_shape(open_window: Open) -> None:
    window = open_window()
    picture = QImage(640, 480, QImage.Format.Format_RGB32)
    picture.fill(QColor("#336699"))

    window.show_preview(picture)

    preview = window.scan_view.preview
    assert preview.isVisible()
    drawn = preview.image_rect()
    assert drawn.width() * 3 == pytest.approx(drawn.height() * 4, abs=4)
    assert drawn.width() == preview.width() or drawn.height() == preview.height()
    centre = preview.grab().toImage().pixelColor(preview.width() // 2, preview.height() // 2)
    assert centre == QColor("#336699")


def test_the_camera_picture_reaches_the_scan_view(
    qtbot: QtBot, open_window: Open, tmp_path: Path
) -> None:
    scene = np.zeros((480, 640, 3), np.uint8)
    scene[:] = (153, 102, 51)  # a wall, no ticket in sight
    cv2.imwrite(str(tmp_path / "wall.png"), scene)

    window = open_window(ImageSource(tmp_path / "wall.png"))
    preview = window.scan_view.preview
    qtbot.waitUntil(preview.isVisible, timeout=5000)

    assert preview.image is not None
    assert (preview.image.width(), preview.image.height()) == (640, 480)
    wall = preview.image.pixelColor(10, 10)
    shown = preview.grab().toImage()
    assert shown.pixelColor(preview.width() // 2, preview.height() // 2) == wall
    assert not window.showing_verdict


def test_two_tickets_in_one_frame_are_both_judged_one_after_the_other(
    qtbot: QtBot, open_window: Open, gate: Gate, tmp_path: Path
) -> None:
    for name in ("Ada Lovelace", "Grace Hopper"):
        write_png(gate.sell(holder=name), tmp_path / f"{name}.png")
    left, right = (cv2.imread(str(tmp_path / f"{n}.png")) for n in ("Ada Lovelace", "Grace Hopper"))
    height = max(left.shape[0], right.shape[0])
    pad = [
        cv2.copyMakeBorder(
            i, 0, height - i.shape[0], 0, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255)
        )
        for i in (left, right)
    ]
    cv2.imwrite(str(tmp_path / "both.png"), cv2.hconcat(pad))

    window = open_window(ImageSource(tmp_path / "both.png"), verdict_seconds=60)
    wait_for_verdict(qtbot, window)
    first = window.verdict_view.holder.text()
    window.dismiss()
    qtbot.waitUntil(lambda: window.verdict_view.holder.text() != first, timeout=5000)

    assert window.showing_verdict
    assert {first, window.verdict_view.holder.text()} == {"Ada Lovelace", "Grace Hopper"}
    assert len(gate.store.recent_scans()) == 2


def test_valid_ticket_from_an_image_shows_green_admitted(
    qtbot: QtBot, open_window: Open, gate: Gate, tmp_path: Path
) -> None:
    write_png(gate.sell(holder="Grace Hopper"), tmp_path / "ticket.png")

    window = open_window(ImageSource(tmp_path / "ticket.png"), verdict_seconds=60)
    wait_for_verdict(qtbot, window)

    view = window.verdict_view
    assert view.title.text() == "Admitted"
    assert view.icon.symbol == "\u2714"
    assert view.holder.text() == "Grace Hopper"
    assert view.ticket_type.text() == "General admission"
    assert shown_colour(window) == GREEN
    assert gate.store.pending_count() == 1


def test_forged_ticket_from_a_folder_shows_red(
    qtbot: QtBot, open_window: Open, gate: Gate, tmp_path: Path
) -> None:
    write_png(gate.maker.forge(), tmp_path / "forged.png")

    window = open_window(FolderSource(tmp_path, frame_interval=0.0), verdict_seconds=60)
    wait_for_verdict(qtbot, window)

    assert window.verdict_view.title.text() == "Forged ticket"
    assert window.verdict_view.icon.symbol == "\u2716"
    assert shown_colour(window) == RED


def test_keyboard_wedge_admits_while_the_window_has_the_focus(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.sell(holder="Ada Lovelace")

    type_keys(qtbot, window, token)
    press_enter(qtbot, window)

    assert window.verdict_view.isVisible()
    assert window.verdict_view.title.text() == "Admitted"
    assert window.verdict_view.holder.text() == "Ada Lovelace"


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
    assert len(gate.store.recent_scans()) == 1


def test_a_failing_database_shows_not_recorded_instead_of_a_verdict(
    open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.sell()
    shown: list[object] = []
    window.verdict_shown.connect(lambda verdict, scan_id: shown.append(scan_id))
    gate.store.close()  # what a yanked USB stick or a full disk looks like to the core

    window.submit(token)

    assert window.verdict_view.title.text() == "Scan NOT recorded"
    assert window.verdict_view.reason is None
    assert shown_colour(window) == RED
    assert shown == []
    window.dismiss()
    assert window.stats_view.unavailable.isVisible()
    assert "Numbers unavailable" in window.stats_view.unavailable.text()


def test_a_source_that_cannot_be_read_is_shown_and_typing_still_works(
    qtbot: QtBot, open_window: Open, gate: Gate, tmp_path: Path
) -> None:
    (tmp_path / "broken.png").write_bytes(b"not an image")

    window = open_window(ImageSource(tmp_path / "broken.png"), verdict_seconds=60)
    qtbot.waitUntil(lambda: "Camera problem" in window.scan_view.source_state.text(), timeout=5000)
    type_keys(qtbot, window, gate.sell())
    press_enter(qtbot, window)

    assert window.verdict_view.title.text() == "Admitted"


def test_saved_settings_change_what_the_window_shows(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window()
    qtbot.mouseClick(window.settings_button, Qt.MouseButton.LeftButton)
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)

    dialog.exit_button.click()
    dialog.zone_field.setText("Balcony")
    dialog.gate_field.setText("South")
    dialog.sound_box.setChecked(False)
    dialog.accept()

    assert window.header.badge.text().strip().endswith("EXIT")
    assert window.header.gate.text() == "Gate South"
    assert window.header.zone.text() == "Zone: Balcony"
    assert "Leaving?" in window.scan_view.prompt.text()
    assert window.sounds.muted
    window.submit(gate.sell())
    assert window.verdict_view.entries.text() == "Exit recorded"
    assert gate.store.recent_scans()[0].direction is Direction.EXIT
    assert gate.store.recent_scans()[0].gate == "South"


def test_cancelled_settings_change_nothing(qtbot: QtBot, open_window: Open) -> None:
    window = open_window()
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None

    dialog.exit_button.click()
    dialog.reject()

    assert "ENTRY" in window.header.badge.text()


def test_the_window_can_be_put_into_a_state_without_scanning(open_window: Open, gate: Gate) -> None:
    """What a screenshot script needs: a verdict on screen from a verdict in hand."""
    window = open_window(verdict_seconds=60)
    token = gate.sell(holder="Grace Hopper")
    verdict = gate.core().scan(token)

    window.show_verdict(verdict, "example-scan")

    assert window.showing_verdict
    assert window.verdict_view.holder.text() == "Grace Hopper"
