"""The device's own numbers for the shift: how many came in, were turned away, need a look,
went out, and how busy the gate is right now (scans per minute, with the last 15 minutes as a
small chart), so staff can tell a supervisor at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from scanner_app.core import DeviceStats
from scanner_app.ui.texts import BACKGROUNDS, SYMBOLS
from shared.reasons import Severity


class Sparkline(QWidget):
    """Scans per minute as bars, oldest on the left; the current minute is the last bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: tuple[int, ...] = ()
        self.setMinimumHeight(56)

    def set_values(self, values: Sequence[int]) -> None:
        self.values = tuple(values)
        self.setToolTip(", ".join(str(v) for v in self.values))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        baseline = QPen(self.palette().color(QPalette.ColorRole.Mid), 1)
        painter.setPen(baseline)
        painter.drawLine(QPointF(area.left(), area.bottom()), QPointF(area.right(), area.bottom()))
        if self.values:
            peak = max(*self.values, 1)
            slot = area.width() / len(self.values)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
            for i, value in enumerate(self.values):
                height = area.height() * value / peak
                painter.drawRect(
                    QRectF(
                        area.left() + i * slot + slot * 0.15,
                        area.bottom() - height,
                        slot * 0.7,
                        height,
                    )
                )
        painter.end()


def _number_label(colour: QColor | None = None) -> QLabel:
    label = QLabel("0")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    font = QFont()
    font.setPointSize(26)
    font.setBold(True)
    label.setFont(font)
    if colour is not None:
        label.setStyleSheet(f"color: {colour.name()}")
    return label


def _caption(text: str, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    font = QFont()
    font.setPointSize(12)
    font.setBold(bold)
    label.setFont(font)
    return label


class StatsView(QFrame):
    """Today's totals of this device and its pace; ``set_stats`` after each scan."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.stats: DeviceStats | None = None
        self.admitted = _number_label(BACKGROUNDS[Severity.ADMIT])
        self.rejected = _number_label(BACKGROUNDS[Severity.REJECT])
        self.attention = _number_label(QColor("#a36f00"))  # amber dark enough to read on white
        self.exits = _number_label()
        self.per_minute = _number_label()
        self.sparkline = Sparkline()
        self.unavailable = _caption("")
        self.unavailable.hide()

        heading = _caption(self.tr("This scanner today"), bold=True)
        grid = QGridLayout()
        tiles = (
            (self.admitted, self.tr("{0} admitted").format(SYMBOLS[Severity.ADMIT])),
            (self.rejected, self.tr("{0} rejected").format(SYMBOLS[Severity.REJECT])),
            (self.attention, self.tr("{0} needed a look").format(SYMBOLS[Severity.ATTENTION])),
            (self.exits, self.tr("exits")),
        )
        for index, (number, caption) in enumerate(tiles):
            row, column = divmod(index, 2)
            grid.addWidget(number, row * 2, column)
            grid.addWidget(_caption(caption), row * 2 + 1, column)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(grid)
        layout.addSpacing(8)
        layout.addWidget(self.per_minute)
        layout.addWidget(_caption(self.tr("scans in the current minute")))
        layout.addWidget(self.sparkline)
        layout.addWidget(_caption(self.tr("scans per minute, last 15 minutes")))
        layout.addWidget(self.unavailable)
        layout.addStretch(1)

    def set_stats(self, stats: DeviceStats) -> None:
        self.stats = stats
        self.unavailable.hide()
        self.admitted.setText(str(stats.admitted))
        self.rejected.setText(str(stats.rejected))
        self.attention.setText(str(stats.attention))
        self.exits.setText(str(stats.exits))
        self.per_minute.setText(str(stats.last_minute))
        self.sparkline.set_values(stats.per_minute)

    def set_unavailable(self, message: str) -> None:
        """The local database could not be read; say so instead of showing stale numbers."""
        self.stats = None
        for label in (self.admitted, self.rejected, self.attention, self.exits, self.per_minute):
            label.setText("\u2014")
        self.sparkline.set_values(())
        self.unavailable.setText(self.tr("Numbers unavailable: {0}").format(message))
        self.unavailable.show()
