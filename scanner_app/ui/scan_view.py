"""The waiting state: which gate this is and which way it faces, what the camera sees, what
to do, and a field for typing a code when a QR code will not read."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QFont, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from scanner_app.ui.texts import DIRECTION_COLOURS, direction_name
from shared.messages import Direction

TOUCH_HEIGHT = 56  # px: comfortably above the 48 px a fingertip needs


def _font(point_size: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


class GateHeader(QWidget):
    """Gate name, ENTRY or EXIT in a coloured badge, and the zone: what this gate does, in
    letters big enough that staff taking over a post see it from the door."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.direction: Direction | None = None
        self.badge = QLabel()
        self.badge.setFont(_font(26, bold=True))
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setMinimumHeight(TOUCH_HEIGHT)
        self.gate = QLabel()
        self.gate.setFont(_font(26, bold=True))
        self.gate.setTextFormat(Qt.TextFormat.PlainText)
        self.gate.setWordWrap(True)  # long gate names wrap instead of widening the window
        self.zone = QLabel()
        self.zone.setFont(_font(18))
        self.zone.setTextFormat(Qt.TextFormat.PlainText)
        self.zone.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.badge)
        layout.addSpacing(12)
        layout.addWidget(self.gate)
        layout.addSpacing(12)
        layout.addWidget(self.zone)
        layout.addStretch(1)

    def set_gate(self, gate: str, direction: Direction, zone: str) -> None:
        self.direction = direction
        arrow = "\u2192" if direction is Direction.ENTRY else "\u2190"
        self.badge.setText(f" {arrow} {direction_name(direction)} ")
        colour = DIRECTION_COLOURS[direction].name()
        self.badge.setStyleSheet(
            f"background: {colour}; color: white; border-radius: 6px; padding: 4px 16px"
        )
        self.gate.setText(self.tr("Gate {0}").format(gate))
        self.zone.setText(self.tr("Zone: {0}").format(zone) if zone else "")


class PreviewView(QWidget):
    """The camera's picture, scaled to fit while keeping its shape, so staff can aim."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def image_rect(self) -> QRect:
        """Where the picture is drawn: as large as fits, centred, aspect kept."""
        if self.image is None or self.image.isNull():
            return QRect()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = (self.width() - size.width()) // 2
        top = (self.height() - size.height()) // 2
        return QRect(left, top, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Dark))
        if self.image is not None and not self.image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.image_rect(), self.image)
        painter.end()


class ScanView(QWidget):
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = QLabel()
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        self.prompt.setFont(_font(30, bold=True))
        self.set_direction(Direction.ENTRY)
        self.preview = PreviewView()
        self.preview.hide()  # until the camera sends its first picture
        self.source_state = QLabel()
        self.source_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.source_state.setFont(_font(13))
        self.source_state.setWordWrap(True)

        self.entry = QLineEdit()
        self.entry.setPlaceholderText(self.tr("Or type the ticket code and press Enter"))
        self.entry.setFont(_font(16))
        self.entry.setMinimumHeight(TOUCH_HEIGHT)
        self.entry.returnPressed.connect(self._submit)
        self.check = QPushButton(self.tr("Check"))
        self.check.setFont(_font(16, bold=True))
        self.check.setMinimumHeight(TOUCH_HEIGHT)
        # Buttons must not take the focus, or a scanner's Enter would press them.
        self.check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.check.clicked.connect(self._submit)

        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 4)
        layout.addStretch(1)
        layout.addWidget(self.prompt)
        layout.addWidget(self.source_state)
        layout.addStretch(1)
        layout.addLayout(row)

    def set_direction(self, direction: Direction) -> None:
        self.prompt.setText(
            self.tr("Show the ticket's QR code to the camera")
            if direction is Direction.ENTRY
            else self.tr("Leaving? Show the ticket's QR code to the camera")
        )

    def set_source_state(self, text: str) -> None:
        self.source_state.setText(text)

    def set_preview(self, image: QImage) -> None:
        self.preview.set_image(image)
        self.preview.show()

    def _submit(self) -> None:
        code = self.entry.text().strip()
        self.entry.clear()
        if code:
            self.submitted.emit(code)
