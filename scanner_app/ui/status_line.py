"""The bottom line: is the venue reachable, how many scans wait to upload, sync progress."""

from __future__ import annotations

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from scanner_app.sync import SyncReport, SyncStatus


class StatusLine(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: SyncStatus | None = None
        self.where = QLabel(title)
        self.connection = QLabel(self.tr("\u25cb Not synced yet"))
        self.pending = QLabel()
        self.progress = QLabel()
        layout = QHBoxLayout(self)
        layout.addWidget(self.where)
        layout.addStretch(1)
        layout.addWidget(self.progress)
        layout.addWidget(self.pending)
        layout.addWidget(self.connection)

    def set_report(self, report: SyncReport) -> None:
        self.status = report.status
        self.progress.clear()
        at = QDateTime.fromMSecsSinceEpoch(int(report.at * 1000)).toString("HH:mm:ss")
        if report.status is SyncStatus.ONLINE:
            text = self.tr("\u25cf Online, synced {0}").format(at)
            colour = "#1b8a3a"
        elif report.status is SyncStatus.OFFLINE:
            text = self.tr("\u25cb Offline \u2014 still admitting")
            colour = "#c62828"
        elif report.status is SyncStatus.UNAUTHORIZED:
            text = self.tr("\u25cb Not authorised by the venue \u2014 pair again")
            colour = "#c62828"
        else:
            text = self.tr("\u25cb Sync problem: {0}").format(report.detail[:80])
            colour = "#b26a00"
        self.connection.setText(text)
        self.connection.setStyleSheet(f"color: {colour}; font-weight: bold")

    def set_pending(self, count: int) -> None:
        self.pending.setText(
            self.tr("%n scan(s) waiting to upload", "", count)
            if count
            else self.tr("All scans uploaded")
        )

    def set_progress(self, fetched: int, remaining: int) -> None:
        self.progress.setText(
            self.tr("Downloading tickets: {0} done, {1} to go").format(fetched, remaining)
            if remaining
            else ""
        )
