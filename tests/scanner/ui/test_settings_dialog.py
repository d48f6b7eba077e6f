from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QListWidgetItem
from pytestqt.qtbot import QtBot

from scanner_app.core import ScannerCore
from scanner_app.pin import check_pin
from scanner_app.store import GateSettings, Store
from scanner_app.ui.settings_dialog import SettingsDialog
from shared.messages import Direction, ManifestPage, TicketEntry
from shared.reasons import Reason
from shared.token import ticket_ref
from tests.scanner.gate import DEVICE, Gate

pytestmark = pytest.mark.gui

Open = Callable[[], SettingsDialog]


def sell(gate: Gate, type_id: int, type_name: str) -> str:
    """A ticket of the given type in the gate's manifest; returns its QR text."""
    claims = gate.maker.claims(type_id=type_id)
    gate.store.apply_manifest_page(
        ManifestPage(
            next_cursor=f"after-{ticket_ref(claims.ticket_id)}",
            has_more=False,
            tickets=[
                TicketEntry(
                    ticket_id=ticket_ref(claims.ticket_id),
                    event_id=claims.event_id,
                    type_id=type_id,
                    type_name=type_name,
                    holder_name="Ada Lovelace",
                )
            ],
        )
    )
    return gate.maker.token(claims)


@pytest.fixture
def core(gate: Gate) -> ScannerCore:
    return gate.core()


@pytest.fixture
def open_dialog(qtbot: QtBot, core: ScannerCore) -> Open:
    def open_() -> SettingsDialog:
        dialog = SettingsDialog(core)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    return open_


def save(qtbot: QtBot, dialog: SettingsDialog) -> None:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_item(dialog: SettingsDialog, name: str) -> QListWidgetItem:
    [item] = dialog.type_list.findItems(name, Qt.MatchFlag.MatchExactly)
    return item


def tick(qtbot: QtBot, dialog: SettingsDialog, name: str) -> None:
    """Tap a ticket type's tick box, as staff would."""
    rect = dialog.type_list.visualItemRect(type_item(dialog, name))
    box = rect.topLeft() + QPoint(16, rect.height() // 2)
    qtbot.mouseClick(dialog.type_list.viewport(), Qt.MouseButton.LeftButton, pos=box)


def tap(qtbot: QtBot, box: QCheckBox) -> None:
    """Tap a check box on its tick box (a tap right of its words misses it)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(16, box.height() // 2))


def stored_settings(gate: Gate) -> str:
    """The saved settings as they are in the file, read by another connection."""
    conn = sqlite3.connect(gate.store.path)
    try:
        [(value,)] = conn.execute("SELECT value FROM config WHERE key = 'gate_settings'")
    finally:
        conn.close()
    return str(value)


def test_exit_direction_is_saved_and_the_next_scan_lets_out(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore, gate: Gate
) -> None:
    token = sell(gate, 1, "Standing")
    assert core.scan(token).admit
    dialog = open_dialog()
    assert dialog.entry_button.isChecked()

    qtbot.mouseClick(dialog.exit_button, Qt.MouseButton.LeftButton)
    save(qtbot, dialog)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert core.settings.direction is Direction.EXIT
    assert core.scan(token).reason is Reason.EXITED
    assert json.loads(stored_settings(gate))["direction"] == "exit"


def test_chosen_ticket_types_are_saved_and_others_go_to_another_gate(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore, gate: Gate
) -> None:
    standing = sell(gate, 1, "Standing")
    vip = sell(gate, 2, "VIP")
    dialog = open_dialog()
    assert dialog.all_types.isChecked()
    assert not dialog.type_list.isEnabled()

    tap(qtbot, dialog.all_types)
    tick(qtbot, dialog, "VIP")
    save(qtbot, dialog)

    assert core.settings.type_ids == frozenset({2})
    assert core.scan(standing).reason is Reason.WRONG_GATE
    assert core.scan(vip).admit


def test_no_ticket_type_ticked_is_refused_inline(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore, gate: Gate
) -> None:
    sell(gate, 1, "Standing")
    dialog = open_dialog()

    tap(qtbot, dialog.all_types)
    save(qtbot, dialog)

    assert dialog.isVisible()
    assert dialog.types_error.isVisible()
    assert "at least one ticket type" in dialog.types_error.text()
    assert core.settings.type_ids is None


def test_kiosk_pin_is_stored_as_a_hash_never_as_the_pin(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore, gate: Gate
) -> None:
    dialog = open_dialog()

    qtbot.keyClicks(dialog.pin_field, "482916")
    qtbot.keyClicks(dialog.pin_repeat, "482916")
    save(qtbot, dialog)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert check_pin("482916", core.settings.kiosk_pin)
    assert not check_pin("000000", core.settings.kiosk_pin)
    assert "482916" not in stored_settings(gate)
    assert "482916" not in gate.store.path.read_bytes().decode("latin-1")
    reopened = open_dialog()
    assert reopened.pin_field.text() == ""
    assert "is set" in reopened.pin_state.text()


def test_mismatched_pins_are_refused_and_nothing_is_saved(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore
) -> None:
    dialog = open_dialog()
    qtbot.mouseClick(dialog.exit_button, Qt.MouseButton.LeftButton)

    qtbot.keyClicks(dialog.pin_field, "1234")
    qtbot.keyClicks(dialog.pin_repeat, "1243")
    save(qtbot, dialog)

    assert dialog.isVisible()
    assert dialog.pin_error.isVisible()
    assert "not the same" in dialog.pin_error.text()
    assert core.settings == GateSettings()


def test_too_short_pin_is_refused(qtbot: QtBot, open_dialog: Open, core: ScannerCore) -> None:
    dialog = open_dialog()

    qtbot.keyClicks(dialog.pin_field, "123")
    qtbot.keyClicks(dialog.pin_repeat, "123")
    save(qtbot, dialog)

    assert dialog.isVisible()
    assert "4 to 12 digits" in dialog.pin_error.text()
    assert core.settings.kiosk_pin == ""


def test_pin_fields_take_digits_only(qtbot: QtBot, open_dialog: Open) -> None:
    dialog = open_dialog()

    qtbot.keyClicks(dialog.pin_field, "12ab34")

    assert dialog.pin_field.text() == "1234"


def test_kiosk_pin_can_be_kept_and_removed(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore
) -> None:
    dialog = open_dialog()
    qtbot.keyClicks(dialog.pin_field, "2468")
    qtbot.keyClicks(dialog.pin_repeat, "2468")
    save(qtbot, dialog)
    first_hash = core.settings.kiosk_pin

    keep = open_dialog()
    qtbot.keyClicks(keep.staff_field, "Kim")
    save(qtbot, keep)
    assert core.settings.kiosk_pin == first_hash
    assert core.settings.staff == "Kim"

    remove = open_dialog()
    assert remove.clear_pin.isVisible()
    tap(qtbot, remove.clear_pin)
    save(qtbot, remove)
    assert core.settings.kiosk_pin == ""


def test_gate_name_defaults_to_the_paired_gate(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore, gate: Gate
) -> None:
    dialog = open_dialog()
    assert dialog.gate_field.text() == ""
    assert dialog.gate_field.placeholderText() == DEVICE.gate

    qtbot.keyClicks(dialog.gate_field, "  VIP door ")
    qtbot.keyClicks(dialog.zone_field, "Balcony")
    save(qtbot, dialog)

    assert core.gate == "VIP door"
    core.scan(sell(gate, 1, "Standing"))
    assert core.last_scan is not None
    assert (core.last_scan.gate, core.last_scan.zone) == ("VIP door", "Balcony")


def test_every_setting_survives_a_restart(
    qtbot: QtBot, open_dialog: Open, core: ScannerCore, gate: Gate
) -> None:
    sell(gate, 1, "Standing")
    dialog = open_dialog()
    qtbot.mouseClick(dialog.exit_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.staff_field, "Kim")
    dialog.verdict_seconds.setValue(5.0)
    dialog.hold_seconds.setValue(1.5)
    tap(qtbot, dialog.sound_box)
    dialog.language_box.setCurrentIndex(dialog.language_box.findData("de"))
    save(qtbot, dialog)
    path = gate.store.path
    gate.store.close()

    gate.store = Store(path)
    restarted = gate.core()

    settings = restarted.settings
    assert settings.direction is Direction.EXIT
    assert settings.staff == "Kim"
    assert (settings.verdict_seconds, settings.hold_seconds) == (5.0, 1.5)
    assert settings.sound is False
    assert settings.language == "de"
    again = SettingsDialog(restarted)
    qtbot.addWidget(again)
    assert again.exit_button.isChecked()
    assert again.language_box.currentData() == "de"
    assert not again.sound_box.isChecked()


def test_cancel_changes_nothing(qtbot: QtBot, open_dialog: Open, core: ScannerCore) -> None:
    dialog = open_dialog()
    qtbot.mouseClick(dialog.exit_button, Qt.MouseButton.LeftButton)

    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)

    assert dialog.result() == QDialog.DialogCode.Rejected
    assert core.settings == GateSettings()
