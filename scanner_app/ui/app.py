"""Starting the Qt application around an already built core."""

from __future__ import annotations

import signal
import sys

from PySide6.QtWidgets import QApplication

from scanner_app.core import ScannerCore
from scanner_app.sources import FrameSource
from scanner_app.sync import SyncService
from scanner_app.ui.main_window import MainWindow


def run_window(
    core: ScannerCore,
    source: FrameSource | None,
    sync: SyncService | None,
    *,
    verdict_seconds: float = 4.0,
    sync_interval: float = 15.0,
    fullscreen: bool = False,
) -> int:
    # Qt's event loop never yields to Python's SIGINT handler; let Ctrl+C end the app at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Bilten gate")
    window = MainWindow(
        core, source, sync, verdict_seconds=verdict_seconds, sync_interval=sync_interval
    )
    if fullscreen:
        window.showFullScreen()
    else:
        window.resize(1024, 700)
        window.show()
    window.start()
    try:
        return app.exec()
    finally:
        window.shutdown()
