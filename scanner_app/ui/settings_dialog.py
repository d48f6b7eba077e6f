"""How staff set up this gate: its name and direction, the ticket types it admits, who is on
duty, how the window behaves, and the kiosk PIN.

Saved through ``ScannerCore.configure`` when the dialog is accepted, so the very next scan is
judged by the new setup. The kiosk PIN is stored only as a hash; the dialog never shows it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QRegularExpression, QSize, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from scanner_app.core import ScannerCore
from scanner_app.errors import ScannerError
from scanner_app.pin import hash_pin
from scanner_app.store import GateSettings, TicketType
from scanner_app.ui.texts import DIRECTION_COLOURS
from shared.messages import Direction

TOUCH_HEIGHT = 56
PIN_MIN, PIN_MAX = 4, 12
LANGUAGES = ("", "en", "de")  # "" follows the system
_ERROR_STYLE = "color: #c62828; font-weight: bold;"
# Text and tick boxes a fingertip can hit (a style sheet, so it reaches every child).
_TOUCH_STYLE = (
    "* { font-size: 14pt; }"
    "QCheckBox::indicator, QListWidget::indicator { width: 28px; height: 28px; }"
    "QCheckBox { spacing: 12px; }"
)
_TYPE_ID = Qt.ItemDataRole.UserRole
_ROW_SIZE = QSize(0, TOUCH_HEIGHT)


def _direction_style(direction: Direction) -> str:
    """The chosen direction lights up in the colour the gate window uses for it."""
    colour = DIRECTION_COLOURS[direction].name()
    return (
        "QPushButton { font-size: 18pt; padding: 8px; }"
        f"QPushButton:checked {{ font-weight: bold; color: white; background: {colour}; }}"
    )


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(_ERROR_STYLE)
    label.hide()
    return label


def _show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _touch(widget: QWidget) -> QWidget:
    widget.setMinimumHeight(TOUCH_HEIGHT)
    return widget


class SettingsDialog(QDialog):
    """The gate settings; accepting saves them and the next scan uses them."""

    def __init__(self, core: ScannerCore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._core = core
        current = core.settings
        self.setWindowTitle(self.tr("Gate settings"))
        self.setStyleSheet(_TOUCH_STYLE)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._build_gate(form, current)
        self._build_types(form, current)
        self._build_behaviour(form, current)
        self._build_pin(form, current)

        content = QWidget()
        content.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        self.save_error = _error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        for button in self.buttons.buttons():
            _touch(button)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.save_error)
        layout.addWidget(self.buttons)
        self.resize(720, 820)

    # -- building --------------------------------------------------------------------------

    def _build_gate(self, form: QFormLayout, current: GateSettings) -> None:
        self.gate_field = QLineEdit(current.gate)
        self.gate_field.setMaxLength(200)
        self.gate_field.setPlaceholderText(self._core.device.gate)
        self.gate_field.setToolTip(
            self.tr("Leave empty to use the gate the venue gave at pairing ({0}).").format(
                self._core.device.gate
            )
        )
        form.addRow(self.tr("Gate name"), _touch(self.gate_field))

        self.entry_button = QPushButton(self.tr("\u2192 Entry"))
        self.exit_button = QPushButton(self.tr("Exit \u2192"))
        self.direction_group = QButtonGroup(self)
        self.direction_group.setExclusive(True)
        direction_row = QHBoxLayout()
        for button, direction in (
            (self.entry_button, Direction.ENTRY),
            (self.exit_button, Direction.EXIT),
        ):
            button.setCheckable(True)
            button.setChecked(current.direction is direction)
            button.setMinimumHeight(TOUCH_HEIGHT + 16)
            button.setStyleSheet(_direction_style(direction))
            self.direction_group.addButton(button)
            direction_row.addWidget(button)
        form.addRow(self.tr("Direction"), direction_row)

        self.zone_field = QLineEdit(current.zone)
        self.zone_field.setMaxLength(200)
        self.zone_field.setPlaceholderText(self.tr("e.g. Main hall, Balcony"))
        form.addRow(self.tr("Zone"), _touch(self.zone_field))

    def _build_types(self, form: QFormLayout, current: GateSettings) -> None:
        self.all_types = QCheckBox(self.tr("All ticket types"))
        self.all_types.setChecked(current.type_ids is None)
        _touch(self.all_types)
        self.type_list = QListWidget()
        self.type_list.setMinimumHeight(TOUCH_HEIGHT * 3)
        self.type_list.setMaximumHeight(TOUCH_HEIGHT * 6)
        chosen = current.type_ids or frozenset()
        known: set[int] = set()
        for ticket_type in self._ticket_types():
            known.add(ticket_type.type_id)
            self._add_type(ticket_type.type_id, ticket_type.name, ticket_type.type_id in chosen)
        # A type chosen earlier that the manifest no longer lists stays chosen, visibly.
        for type_id in sorted(chosen - known):
            self._add_type(type_id, self.tr("Ticket type {0}").format(type_id), True)
        self.types_error = _error_label()
        box = QVBoxLayout()
        box.addWidget(self.all_types)
        box.addWidget(self.type_list)
        box.addWidget(self.types_error)
        form.addRow(self.tr("Admits"), box)
        self.all_types.toggled.connect(self._sync_types)
        self._sync_types()

    def _ticket_types(self) -> list[TicketType]:
        try:
            return self._core.store.ticket_types()
        except ScannerError:
            return []

    def _add_type(self, type_id: int, name: str, checked: bool) -> None:
        item = QListWidgetItem(name)
        item.setData(_TYPE_ID, type_id)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setSizeHint(item.sizeHint().expandedTo(_ROW_SIZE))
        self.type_list.addItem(item)

    def _build_behaviour(self, form: QFormLayout, current: GateSettings) -> None:
        self.staff_field = QLineEdit(current.staff)
        self.staff_field.setMaxLength(200)
        self.staff_field.setPlaceholderText(self.tr("Who is on duty at this gate"))
        form.addRow(self.tr("Staff on duty"), _touch(self.staff_field))

        self.verdict_seconds = self._seconds(current.verdict_seconds, 0.5, 30.0)
        form.addRow(self.tr("Verdict on screen"), self.verdict_seconds)
        self.hold_seconds = self._seconds(current.hold_seconds, 0.5, 30.0)
        self.hold_seconds.setToolTip(
            self.tr("A code seen again within this time is not scanned a second time.")
        )
        form.addRow(self.tr("Ignore repeats for"), self.hold_seconds)

        self.sound_box = QCheckBox(self.tr("Play a sound with each verdict"))
        self.sound_box.setChecked(current.sound)
        form.addRow(self.tr("Sound"), _touch(self.sound_box))

        self.language_box = QComboBox()
        # Each language is named in itself, so a person who cannot read the current one
        # still finds their own.
        for code, name in zip(
            LANGUAGES,
            (self.tr("Same as the system"), "English", "Deutsch"),
            strict=True,
        ):
            self.language_box.addItem(name, code)
        self.language_box.setCurrentIndex(max(0, self.language_box.findData(current.language)))
        language_note = QLabel(self.tr("A new language applies the next time the scanner starts."))
        language_note.setWordWrap(True)
        box = QVBoxLayout()
        box.addWidget(_touch(self.language_box))
        box.addWidget(language_note)
        form.addRow(self.tr("Language"), box)

    def _seconds(self, value: float, low: float, high: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(1)
        spin.setSingleStep(0.5)
        spin.setSuffix(self.tr(" s"))
        spin.setValue(value)
        _touch(spin)
        return spin

    def _build_pin(self, form: QFormLayout, current: GateSettings) -> None:
        self.pin_state = QLabel(
            self.tr("A kiosk PIN is set. Type a new one twice to change it.")
            if current.kiosk_pin
            else self.tr("No kiosk PIN is set. Type one twice to set it.")
        )
        self.pin_state.setWordWrap(True)
        digits = QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{PIN_MAX}}}"), self)
        self.pin_field = self._pin_field(digits, self.tr("New PIN, {0} to {1} digits"))
        self.pin_repeat = self._pin_field(digits, self.tr("The same PIN again"))
        self.clear_pin = QCheckBox(self.tr("Remove the kiosk PIN"))
        self.clear_pin.setVisible(bool(current.kiosk_pin))
        self.clear_pin.toggled.connect(self._sync_pin)
        self.pin_error = _error_label()
        box = QVBoxLayout()
        for widget in (self.pin_state, self.pin_field, self.pin_repeat, self.clear_pin):
            box.addWidget(widget)
        box.addWidget(self.pin_error)
        form.addRow(self.tr("Kiosk PIN"), box)

    def _pin_field(self, validator: QRegularExpressionValidator, placeholder: str) -> QLineEdit:
        field = QLineEdit()
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setValidator(validator)
        field.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData
        )
        field.setPlaceholderText(placeholder.format(PIN_MIN, PIN_MAX))
        _touch(field)
        return field

    def _sync_types(self) -> None:
        self.type_list.setEnabled(not self.all_types.isChecked())

    def _sync_pin(self) -> None:
        for field in (self.pin_field, self.pin_repeat):
            field.setEnabled(not self.clear_pin.isChecked())

    # -- reading ---------------------------------------------------------------------------

    @property
    def direction(self) -> Direction:
        checked: QAbstractButton | None = self.direction_group.checkedButton()
        return Direction.EXIT if checked is self.exit_button else Direction.ENTRY

    def _type_ids(self) -> frozenset[int] | None:
        if self.all_types.isChecked():
            return None
        items = (self.type_list.item(i) for i in range(self.type_list.count()))
        return frozenset(
            int(item.data(_TYPE_ID)) for item in items if item.checkState() == Qt.CheckState.Checked
        )

    def _kiosk_pin(self) -> str | None:
        """The hash to store: the current one, a new one, or '' to remove it; None (with the
        reason shown) when the two PIN fields do not make a valid PIN."""
        current = self._core.settings.kiosk_pin
        if self.clear_pin.isChecked():
            return ""
        pin, again = self.pin_field.text(), self.pin_repeat.text()
        if not pin and not again:
            return current
        if pin != again:
            _show_error(self.pin_error, self.tr("The two PINs are not the same. Type them again."))
            return None
        if not (pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
            _show_error(
                self.pin_error,
                self.tr("The PIN must be {0} to {1} digits.").format(PIN_MIN, PIN_MAX),
            )
            return None
        return hash_pin(pin)

    def settings(self) -> GateSettings | None:
        """The settings as entered, or None when something must be corrected first (each
        problem is shown next to its field)."""
        for label in (self.types_error, self.pin_error, self.save_error):
            _show_error(label, "")
        type_ids = self._type_ids()
        if type_ids is not None and not type_ids:
            _show_error(
                self.types_error,
                self.tr("Tick at least one ticket type, or choose All ticket types."),
            )
        kiosk_pin = self._kiosk_pin()
        if kiosk_pin is None or (type_ids is not None and not type_ids):
            return None
        return replace(
            self._core.settings,
            gate=self.gate_field.text().strip(),
            direction=self.direction,
            zone=self.zone_field.text().strip(),
            type_ids=type_ids,
            staff=self.staff_field.text().strip(),
            hold_seconds=self.hold_seconds.value(),
            verdict_seconds=self.verdict_seconds.value(),
            sound=self.sound_box.isChecked(),
            language=str(self.language_box.currentData()),
            kiosk_pin=kiosk_pin,
        )

    def accept(self) -> None:
        """Save and close; stay open with the problem shown when something is wrong."""
        settings = self.settings()
        if settings is None:
            return
        try:
            self._core.configure(settings)
        except ScannerError as exc:
            _show_error(self.save_error, self.tr("The settings were NOT saved: {0}").format(exc))
            return
        for field in (self.pin_field, self.pin_repeat):
            field.clear()
        super().accept()
