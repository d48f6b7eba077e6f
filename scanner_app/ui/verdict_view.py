"""The full-window verdict: colour, a large icon and large words, readable from a step away.

Everything a person at the gate needs is on this one screen: what to do (the colour, the icon
and the heading), who the ticket belongs to, which entry this is, and for a repeat scan where
and when the ticket was used before. A tap or any key takes the gate back to scanning.
"""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from scanner_app.ui.texts import (
    BACKGROUNDS,
    FOREGROUNDS,
    SYMBOLS,
    reason_hint,
    reason_title,
)
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


class SeverityIcon(QWidget):
    """A check mark, a cross or an exclamation mark in a triangle, painted with QPainter so it
    looks the same on every machine, whatever fonts it has."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.severity: Severity | None = None
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.severity] if self.severity is not None else ""

    def set_severity(self, severity: Severity) -> None:
        self.severity = severity
        self.setAccessibleName(SYMBOLS[severity])
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        if self.severity is None:
            return
        side = min(self.width(), self.height()) * 0.9
        box = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = self.palette().color(QPalette.ColorRole.WindowText)
        pen = QPen(colour, side * 0.09)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        if self.severity is Severity.ADMIT:
            _paint_check(painter, box)
        elif self.severity is Severity.REJECT:
            _paint_cross(painter, box)
        else:
            _paint_warning(painter, box, colour)
        painter.end()


def _at(box: QRectF, x: float, y: float) -> QPointF:
    return QPointF(box.left() + box.width() * x, box.top() + box.height() * y)


def _paint_check(painter: QPainter, box: QRectF) -> None:
    painter.drawEllipse(box.adjusted(*(box.width() * f for f in (0.06, 0.06, -0.06, -0.06))))
    path = QPainterPath(_at(box, 0.28, 0.52))
    path.lineTo(_at(box, 0.44, 0.68))
    path.lineTo(_at(box, 0.73, 0.34))
    painter.drawPath(path)


def _paint_cross(painter: QPainter, box: QRectF) -> None:
    painter.drawEllipse(box.adjusted(*(box.width() * f for f in (0.06, 0.06, -0.06, -0.06))))
    painter.drawLine(_at(box, 0.33, 0.33), _at(box, 0.67, 0.67))
    painter.drawLine(_at(box, 0.67, 0.33), _at(box, 0.33, 0.67))


def _paint_warning(painter: QPainter, box: QRectF, colour: QColor) -> None:
    painter.drawPolygon(
        QPolygonF([_at(box, 0.5, 0.08), _at(box, 0.94, 0.88), _at(box, 0.06, 0.88)])
    )
    painter.drawLine(_at(box, 0.5, 0.36), _at(box, 0.5, 0.6))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(_at(box, 0.5, 0.74), box.width() * 0.055, box.width() * 0.055)


class VerdictView(QWidget):
    """Shows one verdict at a time; ``dismissed`` fires on a tap or a key press."""

    dismissed = Signal()

    def __init__(self, own_device_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._own_device_id = own_device_id
        self.severity: Severity | None = None
        self.reason: Reason | None = None
        self.manual = False
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)  # taps arrive as presses

        self.icon = SeverityIcon()
        self.title = _label(60, bold=True)
        self.hint = _label(24)
        self.holder = _label(40, bold=True)
        self.ticket_type = _label(28)
        self.entries = _label(32, bold=True)
        self.previous = _label(24, bold=True)
        self.manual_mark = _label(22, bold=True)
        self.footer = _label(14)
        self.footer.setText(self.tr("Tap the screen or press any key to scan the next ticket"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 16)
        layout.addWidget(self.icon, 3)
        for label in (
            self.title,
            self.hint,
            self.holder,
            self.ticket_type,
            self.entries,
            self.previous,
            self.manual_mark,
        ):
            layout.addWidget(label)
        layout.addStretch(1)
        layout.addWidget(self.footer)

    def show_verdict(self, verdict: Verdict, *, manual: bool = False) -> None:
        self.reason = verdict.reason
        self.manual = manual
        self._paint(verdict.severity)
        self.title.setText(reason_title(verdict.reason))
        self.hint.setText(reason_hint(verdict.reason))
        info = verdict.info
        self.holder.setText(info.holder_name if info is not None else "")
        self.ticket_type.setText(self._type_text(verdict))
        self.entries.setText(self._entries_text(verdict))
        self.previous.setText(self._previous_text(verdict.previous))
        self.manual_mark.setText(
            self.tr("\u270d Manual admission by staff, not a scan") if manual else ""
        )
        self._hide_empty()

    def show_failure(self, message: str) -> None:
        """The scan could not be recorded, so there is no verdict to give."""
        self.reason = None
        self.manual = False
        self._paint(Severity.REJECT)
        self.title.setText(self.tr("Scan NOT recorded"))
        self.hint.setText(self.tr("Scan the ticket again. If this repeats, call the venue desk."))
        for label in (self.holder, self.ticket_type, self.entries, self.manual_mark):
            label.setText("")
        self.previous.setText(message)
        self._hide_empty()

    def background(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Window)

    def _paint(self, severity: Severity) -> None:
        self.severity = severity
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, BACKGROUNDS[severity])
        palette.setColor(QPalette.ColorRole.WindowText, FOREGROUNDS[severity])
        self.setPalette(palette)
        self.icon.set_severity(severity)

    def _hide_empty(self) -> None:
        """Empty lines would push the heading off centre; leave them out."""
        for label in (self.holder, self.ticket_type, self.entries, self.previous):
            label.setVisible(bool(label.text()))
        self.manual_mark.setVisible(self.manual)

    def _type_text(self, verdict: Verdict) -> str:
        info = verdict.info
        if info is not None and info.type_name:
            return info.type_name
        if verdict.claims is not None:
            return self.tr("Ticket type {0}").format(verdict.claims.type_id)
        return ""

    def _entries_text(self, verdict: Verdict) -> str:
        if verdict.reason is Reason.EXITED:
            return self.tr("Exit recorded")
        if verdict.reason is Reason.ALREADY_ADMITTED and verdict.max_entries:
            return self.tr("All entries used: {0} of {1}").format(
                verdict.entries, verdict.max_entries
            )
        if verdict.reason is not Reason.ADMITTED:
            return ""
        if verdict.reentry:
            return self.tr("Re-entry")
        if not verdict.max_entries:
            return self.tr("Entry {0} (no limit)").format(verdict.entries)
        return self.tr("Entry {0} of {1}").format(verdict.entries, verdict.max_entries)

    def _previous_text(self, previous: PriorAdmission | None) -> str:
        if previous is None:
            return ""
        when = QDateTime.fromMSecsSinceEpoch(previous.scanned_at_ms)
        now = QDateTime.currentDateTime()
        minutes = max(0, when.secsTo(now) // 60)
        device = (
            self.tr("{0} (this scanner)").format(previous.device_name)
            if previous.device_id == self._own_device_id
            else previous.device_name
        )
        if when.date() == now.date():
            return self.tr("Already admitted at gate {0} at {1} by device {2}, {3} min ago").format(
                previous.gate, when.toString("HH:mm:ss"), device, minutes
            )
        return self.tr("Already admitted at gate {0} on {1} at {2} by device {3}").format(
            previous.gate, when.toString("yyyy-MM-dd"), when.toString("HH:mm:ss"), device
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        self.dismissed.emit()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        self.dismissed.emit()
        event.accept()
