"""Starting the Qt application: the language first, then the pairing window if needed, then
the gate window."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QDialog

from scanner_app.errors import ScannerError
from scanner_app.pairing import ScannerPairing
from scanner_app.store import Store
from scanner_app.ui.i18n import install_translations
from scanner_app.ui.main_window import MainWindow
from scanner_app.ui.pair_dialog import BrowserFactory, PairDialog, lan_browser

GateFactory = Callable[[], MainWindow]
"""Builds the gate window for the device paired in the store; called once it is paired."""

EXIT_NO_GATE = 2

log = logging.getLogger(__name__)


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Bilten gate")
    return app


def install_language(app: QApplication, store: Store) -> str:
    """Translate the app into the language chosen in the gate's settings (default: the
    system's). Labels are translated as widgets are built, so call this before any window."""
    try:
        language = store.settings().language
    except ScannerError as exc:
        log.warning("cannot read the gate settings (%s); using the system language", exc)
        language = ""
    return install_translations(app, language)


class GateLauncher(QObject):
    """Shows the pairing window while the scanner is not paired, then the gate window."""

    def __init__(
        self,
        store: Store,
        open_gate: GateFactory,
        *,
        fullscreen: bool = False,
        browser_factory: BrowserFactory | None = lan_browser,
    ) -> None:
        super().__init__()
        self._store = store
        self._open_gate = open_gate
        self._fullscreen = fullscreen
        self._browser_factory = browser_factory
        self.pair_dialog: PairDialog | None = None
        self.window: MainWindow | None = None
        self.error: str | None = None  # why the gate window could not open

    def start(self) -> None:
        if self._store.device() is None:
            dialog = PairDialog(ScannerPairing(self._store), self._browser_factory)
            dialog.finished.connect(self._pairing_finished)
            self.pair_dialog = dialog
            self._show(dialog, (720, 720))
        else:
            self._show_gate()

    def _pairing_finished(self, result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            self._show_gate()
        # Closed without pairing: it was the last window, so the application ends.

    def _show_gate(self) -> None:
        try:
            window = self._open_gate()
        except (ScannerError, ValueError) as exc:
            self.error = str(exc)
            QApplication.exit(EXIT_NO_GATE)
            return
        self.window = window
        self._show(window, (1024, 700))
        window.start()

    def _show(self, widget: QDialog | MainWindow, size: tuple[int, int]) -> None:
        if self._fullscreen:
            widget.showFullScreen()
        else:
            widget.resize(*size)
            widget.show()

    def shutdown(self) -> None:
        if self.pair_dialog is not None:
            self.pair_dialog.shutdown()
        if self.window is not None:
            self.window.shutdown()


def run_gate(
    store: Store,
    open_gate: GateFactory,
    *,
    fullscreen: bool = False,
    browser_factory: BrowserFactory | None = lan_browser,
) -> tuple[int, str | None]:
    """Run until the last window closes; the exit code, and why no gate window opened if so."""
    # Qt's event loop never yields to Python's SIGINT handler; let Ctrl+C end the app at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = application()
    install_language(app, store)
    launcher = GateLauncher(
        store, open_gate, fullscreen=fullscreen, browser_factory=browser_factory
    )
    launcher.start()
    if launcher.error is not None:
        return EXIT_NO_GATE, launcher.error
    try:
        return app.exec(), launcher.error
    finally:
        launcher.shutdown()
