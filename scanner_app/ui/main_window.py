"""The gate window: wires the camera and sync workers to the core and the two views."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from scanner_app.core import ScannerCore
from scanner_app.errors import ScannerError
from scanner_app.sources import FrameSource
from scanner_app.sync import SyncReport, SyncService
from scanner_app.ui.camera_worker import CameraWorker, FrameResult
from scanner_app.ui.repeats import RepeatFilter
from scanner_app.ui.scan_view import ScanView
from scanner_app.ui.status_line import StatusLine
from scanner_app.ui.sync_worker import SyncWorker
from scanner_app.ui.verdict_view import VerdictView
from scanner_app.ui.wedge import KeyboardWedge

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_DISMISS_KEYS = (Qt.Key.Key_Escape, Qt.Key.Key_Space)
_SOURCE_STATE_EVERY = 0.5  # seconds between camera status updates; every frame would flicker


class MainWindow(QMainWindow):
    sync_requested = Signal()

    def __init__(
        self,
        core: ScannerCore,
        source: FrameSource | None = None,
        sync: SyncService | None = None,
        *,
        verdict_seconds: float = 4.0,
        sync_interval: float = 15.0,
        repeat_quiet: float = 3.0,
    ) -> None:
        super().__init__()
        self._core = core
        self._source = source
        self._sync = sync
        self._sync_interval_ms = max(1, int(sync_interval * 1000))
        self._wedge = KeyboardWedge()
        self._repeats = RepeatFilter(repeat_quiet)
        self._camera_thread: QThread | None = None
        self._camera_worker: CameraWorker | None = None
        self._sync_thread: QThread | None = None
        self._sync_worker: SyncWorker | None = None
        self._sync_busy = False
        self._last_source_state = 0.0
        self._running = False

        device = core.device
        self.setWindowTitle(self.tr("Bilten gate \u2014 {0}").format(device.gate))
        self.scan_view = ScanView()
        self.verdict_view = VerdictView(device.device_id)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.scan_view)
        self.stack.addWidget(self.verdict_view)
        self.status_line = StatusLine(
            self.tr("{0} \u00b7 gate {1} \u00b7 {2}").format(
                device.venue_name, device.gate, device.device_name
            )
        )
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status_line)
        self.setCentralWidget(central)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._dismiss_timer = QTimer(self)
        self._dismiss_timer.setSingleShot(True)
        self._dismiss_timer.setInterval(max(1, int(verdict_seconds * 1000)))
        self._dismiss_timer.timeout.connect(self.dismiss)
        self._sync_timer = QTimer(self)
        self._sync_timer.timeout.connect(self.request_sync)

        self.scan_view.submitted.connect(self.submit)
        self.verdict_view.dismissed.connect(self.dismiss)
        self.scan_view.set_source_state(
            source.describe() if source is not None else self.tr("No camera: type or scan codes")
        )
        self._show_pending()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the camera and sync workers; call once, after showing the window."""
        if self._running:
            return
        self._running = True
        self.setFocus()
        if self._source is not None:
            self._start_camera(self._source)
        if self._sync is not None:
            self._start_sync(self._sync)

    def _start_camera(self, source: FrameSource) -> None:
        thread = QThread(self)
        worker = CameraWorker(source)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.codes_found.connect(self._on_codes)
        worker.frame_decoded.connect(self._on_frame)
        worker.failed.connect(self._on_camera_failed)
        worker.finished.connect(thread.quit)
        self._camera_thread, self._camera_worker = thread, worker
        thread.start()

    def _start_sync(self, service: SyncService) -> None:
        thread = QThread(self)
        worker = SyncWorker(service)
        worker.moveToThread(thread)
        self.sync_requested.connect(worker.sync)
        worker.synced.connect(self._on_synced)
        worker.progress.connect(self.status_line.set_progress)
        self._sync_thread, self._sync_worker = thread, worker
        thread.start()
        self._sync_timer.start(self._sync_interval_ms)
        self.request_sync()

    def shutdown(self) -> None:
        """Stop both workers and wait for them; safe to call more than once."""
        self._sync_timer.stop()
        self._dismiss_timer.stop()
        if self._camera_worker is not None:
            self._camera_worker.stop()
        for thread in (self._camera_thread, self._sync_thread):
            if thread is not None:
                thread.quit()
                thread.wait()
        self._camera_thread = self._sync_thread = None
        self._running = False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)

    # -- scanning --------------------------------------------------------------------------

    @property
    def showing_verdict(self) -> bool:
        return self.stack.currentWidget() is self.verdict_view

    def submit(self, code: str) -> None:
        """Judge one code and show the verdict, which exists only once the scan is recorded."""
        try:
            verdict = self._core.scan(code)
        except ScannerError as exc:
            self.verdict_view.show_failure(str(exc))
        else:
            self.verdict_view.show_verdict(verdict)
        self.stack.setCurrentWidget(self.verdict_view)
        self.setFocus()
        self._dismiss_timer.start()
        self._show_pending()

    def dismiss(self) -> None:
        self._dismiss_timer.stop()
        self.stack.setCurrentWidget(self.scan_view)
        self.setFocus()

    def _on_codes(self, result: FrameResult) -> None:
        # Several codes in view: take the first new one; the rest come with the next frames.
        for code in result.codes:
            if self._repeats.allow(code):
                self.submit(code)
                return

    def _on_frame(self, result: FrameResult) -> None:
        now = time.monotonic()
        if now - self._last_source_state < _SOURCE_STATE_EVERY or self._source is None:
            return
        self._last_source_state = now
        self.scan_view.set_source_state(
            self.tr("{0} \u00b7 {1:.0f} ms per frame").format(
                self._source.describe(), result.decode_ms
            )
        )

    def _on_camera_failed(self, message: str) -> None:
        self.scan_view.set_source_state(
            self.tr("Camera problem: {0}. Type or scan codes instead.").format(message)
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Keys no child wanted: a keyboard-wedge scanner typing a code, or staff dismissing."""
        key = event.key()
        if key in _ENTER_KEYS:
            code = self._wedge.enter()
            if code is not None:
                self.submit(code)
            elif self.showing_verdict:
                self.dismiss()
            event.accept()
            return
        if key in _DISMISS_KEYS and not self._wedge.pending:
            self.dismiss()
            event.accept()
            return
        text = event.text()
        if text and text.isprintable():
            if self.showing_verdict:
                self.dismiss()
            self._wedge.type(text)
            event.accept()
            return
        super().keyPressEvent(event)

    # -- sync ------------------------------------------------------------------------------

    def request_sync(self) -> None:
        # One sync at a time: a timer tick during a slow sync is dropped, not queued up.
        if self._sync_worker is None or self._sync_busy:
            return
        self._sync_busy = True
        self.sync_requested.emit()

    def _on_synced(self, report: SyncReport) -> None:
        self._sync_busy = False
        self.status_line.set_report(report)
        self._show_pending()

    def _show_pending(self) -> None:
        try:
            self.status_line.set_pending(self._core.store.pending_count())
        except ScannerError:
            self.status_line.set_pending(-1)
