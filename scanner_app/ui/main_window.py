"""The gate window: wires the camera and sync workers to the core and the views.

Its pages: the home page (gate header, controls, sync banners, the scan view or the attendee
search, the device's numbers, the status line) and the full-window verdict. A verdict is put
on screen only after ``core.scan`` returned, that is after the scan record is committed; the
gate log line ``shown <scan_id> <reason>`` marks that moment.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from PySide6.QtCore import QEvent, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QImage, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from scanner_app.core import ScannerCore
from scanner_app.debounce import Debounce
from scanner_app.errors import ScannerError
from scanner_app.sources import FrameSource
from scanner_app.sync import SyncReport, SyncService
from scanner_app.ui.camera_worker import CameraWorker, FrameResult
from scanner_app.ui.kiosk import PinPad, pin_matches
from scanner_app.ui.live_worker import LiveWorker
from scanner_app.ui.scan_view import TOUCH_HEIGHT, GateHeader, ScanView
from scanner_app.ui.search_panel import SearchPanel
from scanner_app.ui.settings_dialog import SettingsDialog
from scanner_app.ui.sounds import SoundPlayer
from scanner_app.ui.stats_view import StatsView
from scanner_app.ui.status_line import StatusLine, SyncBanner, SyncProgress
from scanner_app.ui.sync_worker import SyncWorker
from scanner_app.ui.verdict_view import VerdictView
from scanner_app.ui.wedge import ENTER_KEYS, WedgeFilter
from shared.reasons import Severity
from shared.rules import Verdict

gate_log = logging.getLogger("scanner_app.gate")

_SOURCE_STATE_EVERY = 0.5  # seconds between camera status updates; every frame would flicker
ATTENTION_LONGER = 1.5  # a verdict that needs a person's judgement stays up this much longer
NOTICE_SECONDS = 8.0
UPLOAD_DELAY_MS = 150  # after a verdict, how long to wait for more scans to share its upload
NARROW_WIDTH = 1100  # px: below this the controls go under the gate's name
_MODIFIER_KEYS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta)


def _touch_button(text: str) -> QPushButton:
    button = QPushButton(text)
    font = QFont()
    font.setPointSize(16)
    font.setBold(True)
    button.setFont(font)
    button.setMinimumHeight(TOUCH_HEIGHT)
    button.setMinimumWidth(96)
    # Buttons must not take the focus, or a scanner's Enter would press them.
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


class MainWindow(QMainWindow):
    sync_requested = Signal()
    verdict_shown = Signal(object, str)  # Verdict, scan_id of the committed scan
    kiosk_changed = Signal(bool)

    def __init__(
        self,
        core: ScannerCore,
        source: FrameSource | None = None,
        sync: SyncService | None = None,
        *,
        verdict_seconds: float | None = None,
        sync_interval: float = 15.0,
        repeat_quiet: float | None = None,
        stats_interval: float = 10.0,
        kiosk: bool = False,
        sounds: SoundPlayer | None = None,
        live: LiveWorker | None = None,
    ) -> None:
        """``verdict_seconds`` and ``repeat_quiet`` override the gate's settings (a rehearsal,
        a demo); by default verdicts stay up for ``core.settings.verdict_seconds`` and the
        camera ignores a ticket still in view for ``core.settings.hold_seconds``. ``kiosk``
        enters kiosk mode at :meth:`start` when a kiosk PIN is set. ``live`` (the venue's live
        feed) brings other gates' scans as they happen and asks for a sync when tickets
        change at the venue; each scan here is uploaded right after its verdict."""
        super().__init__()
        self._core = core
        self._shown_gate = ""  # the gate the window shows, set by apply_settings
        self._source = source
        self._sync = sync
        self._verdict_override = verdict_seconds
        self._sync_interval_ms = max(1, int(sync_interval * 1000))
        self._want_kiosk = kiosk
        self._kiosk = False
        self._hold_override = repeat_quiet
        self._debounce = Debounce(repeat_quiet or core.settings.hold_seconds)
        self._queued: deque[str] = deque()  # codes seen together, judged one after another
        self._camera_thread: QThread | None = None
        self._camera_worker: CameraWorker | None = None
        self._sync_thread: QThread | None = None
        self._sync_worker: SyncWorker | None = None
        self._sync_busy = False
        self._sync_again = False  # a sync was asked for while one ran: run another after it
        self._live = live
        self._live_thread: QThread | None = None
        self._last_source_state = 0.0
        self._running = False
        self._own_sounds = sounds is None
        self.sounds = sounds or SoundPlayer(parent=self)
        self.search_panel: SearchPanel | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.pin_pad: PinPad | None = None
        self._language = core.settings.language

        self._build_widgets()
        self._build_timers(stats_interval)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self.submit)
        self.wedge.typing.connect(self._on_typing)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.wedge)
        self.apply_settings()
        self.scan_view.set_source_state(
            self._source.describe()
            if self._source is not None
            else self.tr("No camera: type or scan codes")
        )
        self._show_pending()

    def _build_widgets(self) -> None:
        self.header = GateHeader()
        self.search_button = _touch_button(self.tr("Search"))
        self.settings_button = _touch_button(self.tr("Settings"))
        self.sync_button = _touch_button(self.tr("Sync now"))
        self.kiosk_button = _touch_button(self.tr("Kiosk"))
        self.search_button.clicked.connect(self.open_search)
        self.settings_button.clicked.connect(self.open_settings)
        self.sync_button.clicked.connect(self.request_sync)
        self.kiosk_button.clicked.connect(self._on_kiosk_button)
        buttons = QHBoxLayout()
        for button in (
            self.search_button,
            self.settings_button,
            self.sync_button,
            self.kiosk_button,
        ):
            buttons.addWidget(button)
        self.top = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.top.addWidget(self.header, 1)
        self.top.addLayout(buttons)

        self.banner = SyncBanner()
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setStyleSheet(
            "background: #e3f2fd; color: #0d3c61; font-size: 16pt; padding: 6px"
        )
        self.notice.hide()
        self.sync_progress = SyncProgress()
        self.scan_view = ScanView()
        self.scan_view.submitted.connect(self.submit)
        self.work_area = QStackedWidget()  # the scan view, or the attendee search
        self.work_area.addWidget(self.scan_view)
        self.stats_view = StatsView()
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.addWidget(self.work_area, 3)
        self.body.addWidget(self.stats_view, 1)
        self.status_line = StatusLine(self._where())

        self.home = QWidget()
        layout = QVBoxLayout(self.home)
        layout.setContentsMargins(12, 12, 12, 0)
        layout.addLayout(self.top)
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addWidget(self.sync_progress)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.status_line)

        self.verdict_view = VerdictView(self._core.device.device_id)
        self.verdict_view.dismissed.connect(self.dismiss)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.home)
        self.stack.addWidget(self.verdict_view)
        # The layout switches to stacked rows when the window gets narrow (resizeEvent); an
        # explicit minimum lets a tablet turned upright make the window narrow in the first
        # place, instead of the wide layout's minimum keeping it wider than the screen.
        self.stack.setMinimumSize(480, 480)
        self.setCentralWidget(self.stack)

    def _build_timers(self, stats_interval: float) -> None:
        self._dismiss_timer = QTimer(self)
        self._dismiss_timer.setSingleShot(True)
        self._dismiss_timer.timeout.connect(self.dismiss)
        self._sync_timer = QTimer(self)
        self._sync_timer.timeout.connect(self.request_sync)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(max(1, int(stats_interval * 1000)))
        self._stats_timer.timeout.connect(self.refresh_stats)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(int(NOTICE_SECONDS * 1000))
        self._notice_timer.timeout.connect(self.notice.hide)
        # A scan goes up to the venue (and from there to every gate) right after its verdict;
        # scans in quick succession share one upload.
        self._upload_timer = QTimer(self)
        self._upload_timer.setSingleShot(True)
        self._upload_timer.setInterval(UPLOAD_DELAY_MS)
        self._upload_timer.timeout.connect(self.request_sync)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the camera and sync workers; call once, after showing the window."""
        if self._running:
            return
        self._running = True
        self.setFocus()
        self._stats_timer.start()
        if self._source is not None:
            self._start_camera(self._source)
        if self._sync is not None:
            self._start_sync(self._sync)
        if self._live is not None:
            self._start_live(self._live)
        if self._want_kiosk:
            self.enter_kiosk()

    def _start_camera(self, source: FrameSource) -> None:
        thread = QThread(self)
        worker = CameraWorker(source, debounce=self._debounce)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.preview_ready.connect(self.show_preview)
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
        worker.progress.connect(self.show_progress)
        self._sync_thread, self._sync_worker = thread, worker
        thread.start()
        self._sync_timer.start(self._sync_interval_ms)
        self.request_sync()

    def _start_live(self, worker: LiveWorker) -> None:
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        worker.manifest_changed.connect(self.request_sync)
        worker.connected.connect(self.status_line.set_live)
        self._live_thread = thread
        thread.start()

    @property
    def sync_worker(self) -> SyncWorker | None:
        return self._sync_worker

    def shutdown(self) -> None:
        """Stop both workers and wait for them; safe to call more than once."""
        for timer in (self._sync_timer, self._dismiss_timer, self._stats_timer, self._upload_timer):
            timer.stop()
        if self._camera_worker is not None:
            self._camera_worker.stop()
        if self._live is not None:
            self._live.stop()  # direct call: its thread is busy reading the stream
        for thread in (self._camera_thread, self._sync_thread, self._live_thread):
            if thread is not None:
                thread.quit()
                thread.wait()
        self._camera_thread = self._sync_thread = self._live_thread = None
        self._running = False
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        if self._own_sounds:
            self.sounds.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._kiosk:
            event.ignore()
            self.show_notice(self.tr("Kiosk mode: tap \u201cLeave kiosk\u201d and type the PIN."))
            return
        self.shutdown()
        super().closeEvent(event)

    # -- verdicts --------------------------------------------------------------------------

    @property
    def showing_verdict(self) -> bool:
        return self.stack.currentWidget() is self.verdict_view

    def submit(self, code: str) -> None:
        """Judge one code and show the verdict, which exists only once the scan is recorded."""
        try:
            verdict = self._core.scan(code)
        except ScannerError as exc:
            self.show_failure(str(exc))
            return
        record = self._core.last_scan
        self.show_verdict(verdict, record.scan_id if record is not None else "")

    def show_verdict(self, verdict: Verdict, scan_id: str, *, manual: bool = False) -> None:
        """Put a recorded verdict on screen, with its sound, for the gate's verdict time."""
        self.verdict_view.show_verdict(verdict, manual=manual)
        self._put_on_screen(self._verdict_seconds(verdict.severity))
        gate_log.info("shown %s %s", scan_id, verdict.reason.value)
        self.sounds.play(verdict.severity)
        self.verdict_shown.emit(verdict, scan_id)
        self._after_scan()

    def show_failure(self, message: str) -> None:
        """The scan was NOT recorded (the local database failed): say so, never a verdict."""
        self.verdict_view.show_failure(message)
        self._put_on_screen(self._verdict_seconds(Severity.ATTENTION))
        gate_log.warning("not recorded: %s", message)
        self.sounds.play(Severity.REJECT)
        self._after_scan()

    def dismiss(self) -> None:
        self._dismiss_timer.stop()
        self.stack.setCurrentWidget(self.home)
        if self.search_panel is not None and self.work_area.currentWidget() is self.search_panel:
            self.search_panel.focus_search()  # back to the search staff were in
        else:
            self.setFocus()
        if self._queued:
            QTimer.singleShot(0, self._judge_next)

    def _put_on_screen(self, seconds: float) -> None:
        self.stack.setCurrentWidget(self.verdict_view)
        self.setFocus()
        self._dismiss_timer.start(max(1, int(seconds * 1000)))

    def _verdict_seconds(self, severity: Severity) -> float:
        seconds = self._verdict_override or self._core.settings.verdict_seconds
        return seconds * ATTENTION_LONGER if severity is Severity.ATTENTION else seconds

    def _after_scan(self) -> None:
        self._show_pending()
        self.refresh_stats()
        if self._sync_worker is not None:
            self._upload_timer.start()

    def _on_typing(self) -> None:
        # Any key dismisses a verdict, including the first character of the next code.
        if self.showing_verdict:
            self.dismiss()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Keys no child wanted. While a verdict is up, any key takes the gate back to
        scanning (Escape too; it never leaves kiosk mode)."""
        if self.showing_verdict and event.key() not in _MODIFIER_KEYS:
            self.dismiss()
            event.accept()
            return
        if event.key() in (*ENTER_KEYS, Qt.Key.Key_Escape):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- camera ----------------------------------------------------------------------------

    def _on_codes(self, result: FrameResult) -> None:
        """New codes in view. Several at once (a group's phones) are judged one after the
        other, each verdict on screen in turn, so none is lost or hidden by the next."""
        self._queued.extend(code for code in result.codes if code not in self._queued)
        if not self.showing_verdict:
            self._judge_next()

    def _judge_next(self) -> None:
        if self._queued:
            self.submit(self._queued.popleft())

    def show_preview(self, image: QImage) -> None:
        self.scan_view.set_preview(image)

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

    # -- search and settings ---------------------------------------------------------------

    def open_search(self) -> None:
        """Find an attendee by name, email or order (a dead phone, a smudged code)."""
        if self.search_panel is None:
            panel = SearchPanel(self._core, self)
            panel.verdict_recorded.connect(self._on_manual_admission)
            panel.close_requested.connect(self.close_search)
            self.work_area.addWidget(panel)
            self.search_panel = panel
        self.dismiss()
        self.stats_view.hide()  # the attendee list needs the room more than the numbers
        self.work_area.setCurrentWidget(self.search_panel)
        self.search_panel.focus_search()

    def close_search(self) -> None:
        self.work_area.setCurrentWidget(self.scan_view)
        self.stats_view.show()
        self.setFocus()

    def _on_manual_admission(self, verdict: Verdict) -> None:
        self.close_search()
        self.show_verdict(verdict, self._manual_scan_id(), manual=True)

    def _manual_scan_id(self) -> str:
        """The scan id of the manual admission just recorded (the core's latest scan)."""
        record = self._core.last_scan
        return record.scan_id if record is not None and record.manual else ""

    def open_settings(self) -> None:
        dialog = SettingsDialog(self._core, self)
        dialog.accepted.connect(self.apply_settings)
        dialog.finished.connect(self._forget_settings_dialog)
        self.settings_dialog = dialog
        dialog.open()

    def _forget_settings_dialog(self) -> None:
        dialog, self.settings_dialog = self.settings_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _where(self) -> str:
        device = self._core.device
        return self.tr("{0} \u00b7 {1}").format(device.venue_name, device.device_name)

    def _show_assignment(self) -> None:
        """After a sync: a move or new name the venue's manager gave this device shows at once
        (the core rereads them when a sync stored them)."""
        if self._core.gate != self._shown_gate:
            self.apply_settings()
        where = self._where()
        if self.status_line.where.text() != where:
            self.status_line.set_title(where)

    def apply_settings(self) -> None:
        """Show what the gate is now set up to do (after Settings, or at start)."""
        settings = self._core.settings
        gate = self._shown_gate = self._core.gate
        self.header.set_gate(gate, settings.direction, settings.zone)
        self.scan_view.set_direction(settings.direction)
        self.sounds.muted = not settings.sound
        self._debounce.hold = self._hold_override or settings.hold_seconds
        self.setWindowTitle(self.tr("Bilten gate \u2014 {0}").format(gate))
        if settings.language != self._language:
            # The translator is installed when the app starts; every label would need redoing.
            self.show_notice(self.tr("The new language is used from the next start of the app."))
        self.refresh_stats()

    # -- kiosk -----------------------------------------------------------------------------

    @property
    def kiosk(self) -> bool:
        return self._kiosk

    def enter_kiosk(self) -> bool:
        """Fill the screen and refuse to close until the PIN is typed. Needs a PIN set in
        Settings, or nobody could ever leave; returns whether kiosk mode is on."""
        if self._kiosk:
            return True
        if not self._core.settings.kiosk_pin:
            self.show_notice(
                self.tr("Kiosk mode needs a PIN. Set one in Settings, then tap Kiosk again.")
            )
            return False
        self._kiosk = True
        self.showFullScreen()
        self._show_kiosk_controls()
        self.kiosk_changed.emit(True)
        return True

    def leave_kiosk(self, pin: str) -> bool:
        """Leave kiosk mode if ``pin`` is the kiosk PIN; a wrong PIN changes nothing."""
        if not self._kiosk:
            return True
        if not pin_matches(pin, self._core.settings.kiosk_pin):
            return False
        self._kiosk = False
        self.showNormal()
        self._show_kiosk_controls()
        self.kiosk_changed.emit(False)
        return True

    def ask_to_leave_kiosk(self) -> PinPad:
        """Open the PIN pad; the right PIN leaves kiosk mode, a wrong one keeps the pad up."""
        pad = PinPad(self.leave_kiosk, self)
        pad.finished.connect(self.setFocus)
        self.pin_pad = pad
        pad.open()
        return pad

    def _on_kiosk_button(self) -> None:
        if self._kiosk:
            self.ask_to_leave_kiosk()
        else:
            self.enter_kiosk()

    def _show_kiosk_controls(self) -> None:
        # Settings could change the PIN or the gate, so they are out of reach in kiosk mode.
        self.settings_button.setVisible(not self._kiosk)
        self.kiosk_button.setText(self.tr("Leave kiosk") if self._kiosk else self.tr("Kiosk"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if (
            event.type() is QEvent.Type.WindowStateChange
            and self._kiosk
            and not self.isFullScreen()
        ):
            QTimer.singleShot(0, self.showFullScreen)  # minimised or restored: back to kiosk
        super().changeEvent(event)

    def show_notice(self, text: str) -> None:
        """A passing message on the home page, gone after a few seconds."""
        self.notice.setText(text)
        self.notice.show()
        self._notice_timer.start()

    # -- sync and numbers ------------------------------------------------------------------

    def request_sync(self) -> None:
        # One sync at a time; one asked for meanwhile runs right after (not one per request).
        if self._sync_worker is None:
            return
        if self._sync_busy:
            self._sync_again = True
            return
        self._sync_busy = True
        self.sync_button.setEnabled(False)
        self.sync_requested.emit()

    def show_progress(self, fetched: int, remaining: int) -> None:
        self.sync_progress.set_progress(fetched, remaining)

    def show_sync_report(self, report: SyncReport) -> None:
        """Banner, status line and counts for the latest sync round."""
        self.banner.set_report(report)
        self.status_line.set_report(report)
        self.sync_progress.set_progress(0, 0)
        self._show_pending()
        self._show_data_age()

    def _on_synced(self, report: SyncReport) -> None:
        self._sync_busy = False
        self.sync_button.setEnabled(True)
        self.show_sync_report(report)
        self._show_assignment()
        if self._sync_again:
            self._sync_again = False
            self.request_sync()

    def refresh_stats(self) -> None:
        try:
            self.stats_view.set_stats(self._core.stats())
        except ScannerError as exc:
            self.stats_view.set_unavailable(str(exc))
        self._show_data_age()

    def _show_pending(self) -> None:
        try:
            self.status_line.set_pending(self._core.store.pending_count())
        except ScannerError:
            self.status_line.set_pending(-1)

    def _show_data_age(self) -> None:
        try:
            synced_at = self._core.store.last_synced()
        except ScannerError:
            return
        self.status_line.set_data_age(synced_at, time.time())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        # A tablet held upright puts the controls under the gate's name and the numbers under
        # the scan view, not beside them.
        width, height = event.size().width(), event.size().height()
        stacked, side_by_side = QBoxLayout.Direction.TopToBottom, QBoxLayout.Direction.LeftToRight
        self.top.setDirection(stacked if width < NARROW_WIDTH else side_by_side)
        self.body.setDirection(stacked if width < height else side_by_side)
        super().resizeEvent(event)
