"""The full-window verdict: colour, glyph and large words, readable from a step away."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from scanner_app.ui.texts import BACKGROUNDS, FOREGROUNDS, GLYPHS, reason_hint, reason_title
from shared.reasons import Reason, Severity
from shared.rules import PriorAdmission, Verdict


def _label(point_size: int, bold: bool = False) -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # holder names are not ours to render as HTML
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    label.setFont(font)
    return label


class VerdictView(QWidget):
    dismissed = Signal()

    def __init__(self, own_device_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._own_device_id = own_device_id
        self.severity: Severity | None = None
        self.reason: Reason | None = None
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.glyph = _label(140, bold=True)
        self.title = _label(56, bold=True)
        self.hint = _label(24)
        self.ticket = _label(30, bold=True)
        self.previous = _label(24)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for label in (self.glyph, self.title, self.hint, self.ticket, self.previous):
            layout.addWidget(label)
        layout.addStretch(1)

    def show_verdict(self, verdict: Verdict) -> None:
        self.reason = verdict.reason
        self._paint(verdict.severity)
        self.title.setText(reason_title(verdict.reason))
        self.hint.setText(reason_hint(verdict.reason))
        self.ticket.setText(self._ticket_text(verdict))
        self.previous.setText(self._previous_text(verdict.previous))

    def show_failure(self, message: str) -> None:
        """The scan could not be recorded, so there is no verdict to give."""
        self.reason = None
        self._paint(Severity.REJECT)
        self.title.setText(self.tr("Scan NOT recorded"))
        self.hint.setText(self.tr("Scan the ticket again. If this repeats, call the venue desk."))
        self.ticket.setText("")
        self.previous.setText(message)

    def background(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Window)

    def _paint(self, severity: Severity) -> None:
        self.severity = severity
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, BACKGROUNDS[severity])
        palette.setColor(QPalette.ColorRole.WindowText, FOREGROUNDS[severity])
        self.setPalette(palette)
        self.glyph.setText(GLYPHS[severity])

    def _ticket_text(self, verdict: Verdict) -> str:
        if verdict.claims is None:
            return ""
        info = verdict.info
        type_name = (
            info.type_name
            if info is not None and info.type_name
            else self.tr("Ticket type {0}").format(verdict.claims.type_id)
        )
        holder = info.holder_name if info is not None else ""
        return f"{type_name} \u2014 {holder}" if holder else type_name

    def _previous_text(self, previous: PriorAdmission | None) -> str:
        if previous is None:
            return ""
        when = QDateTime.fromMSecsSinceEpoch(previous.scanned_at_ms)
        now = QDateTime.currentDateTime()
        stamp = (
            when.toString("HH:mm:ss")
            if when.date() == now.date()
            else when.toString("yyyy-MM-dd HH:mm")
        )
        minutes = max(0, when.secsTo(now) // 60)
        device = (
            self.tr("this scanner")
            if previous.device_id == self._own_device_id
            else previous.device_name
        )
        return self.tr("First admitted at {0} ({1} min ago), gate {2}, by {3}").format(
            stamp, minutes, previous.gate, device
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        self.dismissed.emit()
        event.accept()
