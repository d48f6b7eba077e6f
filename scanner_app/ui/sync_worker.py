"""Runs venue syncs on their own thread so a slow or dead network never freezes the gate."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from scanner_app.errors import ScannerError
from scanner_app.sync import SyncReport, SyncService, SyncStatus


class SyncWorker(QObject):
    """``sync`` is invoked through a queued signal from the UI thread's timer."""

    progress = Signal(int, int)  # fetched, remaining
    synced = Signal(object)  # SyncReport

    def __init__(self, service: SyncService) -> None:
        super().__init__()
        self._service = service

    @Slot()
    def sync(self) -> None:
        try:
            report = self._service.sync_once(self.progress.emit)
        except ScannerError as exc:
            # The local database failed; still an answer for the status line, not a crash.
            report = SyncReport(SyncStatus.ERROR, str(exc))
        self.synced.emit(report)
