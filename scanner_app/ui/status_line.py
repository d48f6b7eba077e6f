"""Sync you can see: whether the venue answers, how old the ticket list is, how many scans wait
to upload, and the first download's progress.

Being offline is normal at a gate, so the offline banner says plainly that admitting goes on;
only a gate the venue removed needs a person to act (pair again), and its banner says that.
"""

from __future__ import annotations

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from scanner_app.sync import SyncReport, SyncStatus

_BANNER_COLOURS = {
    SyncStatus.OFFLINE: ("#fff3cd", "#5c4400"),
    SyncStatus.UNAUTHORIZED: ("#c62828", "#ffffff"),
    SyncStatus.ERROR: ("#fff3cd", "#5c4400"),
}
STALE_AFTER_MINUTES = 30  # ticket lists older than this get a warning colour
_LINE_OVERHEAD = 100  # px of the status line's margins and gaps between its parts


def _font(point_size: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


class SyncBanner(QLabel):
    """A wide strip under the gate header while the venue is unreachable or refuses us."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: SyncStatus | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setFont(_font(18, bold=True))
        self.setMinimumHeight(48)
        self.hide()

    def set_report(self, report: SyncReport) -> None:
        self.status = report.status
        if report.status is SyncStatus.OFFLINE:
            text = self.tr("Offline \u2014 still admitting. Scans upload when the venue is back.")
        elif report.status is SyncStatus.UNAUTHORIZED:
            text = self.tr(
                "This gate was removed by the venue \u2014 pair again. "
                "Scanning goes on with the tickets already here."
            )
        elif report.status is SyncStatus.ERROR:
            text = self.tr("Sync problem: {0}. Scanning goes on.").format(report.detail[:120])
        else:
            self.hide()
            return
        background, foreground = _BANNER_COLOURS[report.status]
        self.setStyleSheet(f"background: {background}; color: {foreground}; padding: 6px")
        self.setText(text)
        self.show()


class SyncProgress(QWidget):
    """The ticket download: a bar with counts while entries remain, hidden otherwise."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setFont(_font(14, bold=True))
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setMinimumHeight(28)
        self.bar.setTextVisible(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        self.hide()

    def set_progress(self, fetched: int, remaining: int) -> None:
        if remaining <= 0:
            self.hide()
            return
        total = fetched + remaining
        self.label.setText(
            self.tr("Downloading tickets: {0} done, {1} to go").format(fetched, remaining)
        )
        self.bar.setFormat(self.tr("{0} of {1}").format(fetched, total))
        self.show()
        self.bar.setRange(0, total)
        self.bar.setValue(fetched)


class StatusLine(QWidget):
    """The bottom line: where this gate is, the link to the venue, uploads and data age."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: SyncStatus | None = None
        self.where = QLabel(title)
        self.connection = QLabel(self.tr("\u25cb Not synced yet"))
        self.pending = QLabel()
        self.data_age = QLabel()
        self.live = QLabel()
        for label in (self.where, self.connection, self.pending, self.data_age, self.live):
            label.setFont(_font(13))
            # Unwrapped, a label would hold the window as wide as its text; _fit wraps instead.
            label.setMinimumWidth(24)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.addWidget(self.where)
        layout.addStretch(1)
        layout.addWidget(self.data_age)
        layout.addSpacing(16)
        layout.addWidget(self.pending)
        layout.addSpacing(16)
        layout.addWidget(self.connection)
        layout.addSpacing(8)
        layout.addWidget(self.live)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._fit()
        super().resizeEvent(event)

    def _fit(self) -> None:
        """One line per part while they fit side by side; wrapped only when the window is
        narrow (a tablet held upright). A word-wrapped QLabel asks for about a quarter of its
        text's width and wraps even on a wide screen, so wrapping is switched on only here."""
        labels = (self.where, self.data_age, self.pending, self.connection, self.live)
        wanted = sum(label.fontMetrics().horizontalAdvance(label.text()) + 8 for label in labels)
        wrap = wanted + _LINE_OVERHEAD > self.width()
        for label in labels:
            if label.wordWrap() != wrap:
                label.setWordWrap(wrap)

    def set_live(self, connected: bool) -> None:
        """Whether other gates' scans arrive the moment the venue has them (the live feed)."""
        self.live.setText(self.tr("\u21c4 Live") if connected else "")
        self.live.setToolTip(
            self.tr("Other gates' scans arrive here as they happen.") if connected else ""
        )
        self.live.setStyleSheet("color: #1b8a3a; font-weight: bold")
        self._fit()

    def set_title(self, title: str) -> None:
        self.where.setText(title)
        self._fit()

    def set_report(self, report: SyncReport) -> None:
        self.status = report.status
        at = QDateTime.fromMSecsSinceEpoch(int(report.at * 1000)).toString("HH:mm:ss")
        if report.status is SyncStatus.ONLINE:
            text = self.tr("\u25cf Online, last sync {0}").format(at)
            colour = "#1b8a3a"
        elif report.status is SyncStatus.OFFLINE:
            text = self.tr("\u25cb Offline (last try {0})").format(at)
            colour = "#c62828"
        elif report.status is SyncStatus.UNAUTHORIZED:
            text = self.tr("\u25cb Not authorised by the venue")
            colour = "#c62828"
        else:
            text = self.tr("\u25cb Sync problem at {0}").format(at)
            colour = "#b26a00"
        self.connection.setText(text)
        self.connection.setStyleSheet(f"color: {colour}; font-weight: bold")
        self._fit()

    def set_pending(self, count: int) -> None:
        if count < 0:
            text = self.tr("Scans waiting to upload: unknown (local database problem)")
        elif count:
            text = self.tr("Scans waiting to upload: {0}").format(count)
        else:
            text = self.tr("All scans uploaded")
        self.pending.setText(text)
        self._fit()

    def set_data_age(self, synced_at: float | None, now: float) -> None:
        """How old the ticket list is: revocations made after it are unknown to this gate."""
        if synced_at is None:
            self.data_age.setText(self.tr("No complete ticket list yet"))
            self.data_age.setStyleSheet("color: #c62828; font-weight: bold")
            self._fit()
            return
        minutes = max(0, int(now - synced_at) // 60)
        if minutes < 1:
            text = self.tr("Tickets as of just now")
        elif minutes < 120:
            text = self.tr("Tickets as of {0} min ago").format(minutes)
        else:
            text = self.tr("Tickets as of {0} h ago").format(minutes // 60)
        self.data_age.setText(text)
        stale = minutes >= STALE_AFTER_MINUTES
        self.data_age.setStyleSheet("color: #b26a00; font-weight: bold" if stale else "")
        self._fit()
