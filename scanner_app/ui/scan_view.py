"""The waiting state: what to do, how the camera is doing, and a field for typing a code."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class ScanView(QWidget):
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = QLabel(self.tr("Show the ticket's QR code to the camera"))
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        font = QFont()
        font.setPointSize(32)
        self.prompt.setFont(font)
        self.source_state = QLabel()
        self.source_state.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.entry = QLineEdit()
        self.entry.setPlaceholderText(self.tr("Or type the ticket code and press Enter"))
        self.entry.returnPressed.connect(self._submit)
        self.check = QPushButton(self.tr("Check"))
        # Buttons must not take the focus, or a scanner's Enter would press them.
        self.check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.check.clicked.connect(self._submit)

        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.prompt)
        layout.addWidget(self.source_state)
        layout.addStretch(1)
        layout.addLayout(row)

    def set_source_state(self, text: str) -> None:
        self.source_state.setText(text)

    def _submit(self) -> None:
        code = self.entry.text().strip()
        self.entry.clear()
        if code:
            self.submitted.emit(code)
