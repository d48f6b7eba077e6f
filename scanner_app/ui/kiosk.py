"""Kiosk mode: the gate window fills the screen and stays there until staff type the PIN.

A tablet at an unattended door must not be closed, minimised or switched away from by a
curious visitor; leaving kiosk mode takes the PIN set in Settings, typed on a pad of big
digit buttons that work on a touch screen without a keyboard.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from scanner_app.pin import check_pin

BUTTON_SIZE = 72  # px: a thumb on a tablet hits this without looking twice
MAX_PIN_DIGITS = 12


def pin_matches(pin: str, stored_hash: str) -> bool:
    """Whether ``pin`` opens a kiosk locked with ``stored_hash``; no PIN set opens nothing."""
    return bool(stored_hash) and check_pin(pin, stored_hash)


def _big_font(point_size: int, bold: bool = True) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


class PinPad(QDialog):
    """Asks for the kiosk PIN. ``check`` decides; a wrong PIN shows an error and the pad
    stays open for another try. Accepted only with the right PIN."""

    def __init__(self, check: Callable[[str], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.setWindowTitle(self.tr("Leave kiosk mode"))
        self.setModal(True)

        prompt = QLabel(self.tr("Type the kiosk PIN to leave kiosk mode"))
        prompt.setFont(_big_font(18))
        prompt.setWordWrap(True)
        prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display = QLineEdit()
        self.display.setReadOnly(True)
        self.display.setEchoMode(QLineEdit.EchoMode.Password)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setFont(_big_font(28))
        self.display.setMinimumHeight(BUTTON_SIZE)
        self.display.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.error = QLabel()
        self.error.setFont(_big_font(16))
        self.error.setStyleSheet("color: #c62828")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.setWordWrap(True)

        self.digit_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, digit in enumerate("123456789"):
            grid.addWidget(self._digit_button(digit), index // 3, index % 3)
        self.erase_button = self._button("\u232b", self.erase)
        self.erase_button.setAccessibleName(self.tr("Erase the last digit"))
        self.ok_button = self._button(self.tr("OK"), self.submit)
        grid.addWidget(self.erase_button, 3, 0)
        grid.addWidget(self._digit_button("0"), 3, 1)
        grid.addWidget(self.ok_button, 3, 2)
        self.cancel_button = self._button(self.tr("Cancel \u2014 stay in kiosk mode"), self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.display)
        layout.addWidget(self.error)
        layout.addLayout(grid)
        layout.addWidget(self.cancel_button)

    @property
    def pin(self) -> str:
        return self.display.text()

    def press(self, digit: str) -> None:
        if len(self.pin) < MAX_PIN_DIGITS:
            self.display.setText(self.pin + digit)

    def erase(self) -> None:
        self.display.setText(self.pin[:-1])

    def submit(self) -> None:
        if self.pin and self._check(self.pin):
            self.error.clear()
            self.accept()
            return
        self.error.setText(self.tr("Wrong PIN. Try again."))
        self.display.clear()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """A keyboard works too; Escape cancels (the window stays in kiosk mode)."""
        text = event.text()
        if text.isdigit() and len(text) == 1:
            self.press(text)
        elif event.key() == Qt.Key.Key_Backspace:
            self.erase()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        else:
            super().keyPressEvent(event)

    def _digit_button(self, digit: str) -> QPushButton:
        button = self._button(digit, lambda: self.press(digit))
        self.digit_buttons[digit] = button
        return button

    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setFont(_big_font(24))
        button.setMinimumSize(BUTTON_SIZE, BUTTON_SIZE)
        button.setAutoDefault(False)  # Enter submits the PIN, not whichever button has focus
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button
