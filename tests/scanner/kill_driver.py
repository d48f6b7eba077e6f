"""The gate app as it runs at the door, for tests that kill it.

Run as ``python -m tests.scanner.kill_driver --data DIR --frames DIR``.

It opens the real SQLite file of an already paired scanner, builds the real core, sync service
and main window (offscreen), plays a folder of ticket images through the camera path at a fast
pace and syncs with the venue every few tenths of a second. The window logs each verdict it
puts on screen as ``shown <scan_id> <reason>`` (logger ``scanner_app.gate``, written only after
the scan is committed); this driver sends that log to stdout unbuffered, so whoever kills the
process knows exactly which verdicts staff saw before it died.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from scanner_app.core import ScannerCore
from scanner_app.errors import NotPaired
from scanner_app.sources import FolderSource
from scanner_app.store import Store
from scanner_app.sync import SyncService
from scanner_app.ui.main_window import MainWindow
from shared.clock import HybridClock

GATE_LOG = "scanner_app.gate"
READY = "ready"


def _log_to_stdout() -> None:
    handler = logging.StreamHandler(sys.stdout)  # flushed after every record
    handler.setFormatter(logging.Formatter("%(message)s"))
    gate_log = logging.getLogger(GATE_LOG)
    gate_log.addHandler(handler)
    gate_log.setLevel(logging.INFO)
    gate_log.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the scanner's data folder")
    parser.add_argument("--frames", type=Path, required=True, help="folder of ticket images")
    parser.add_argument("--frame-interval", type=float, default=0.02)
    parser.add_argument("--sync-interval", type=float, default=0.3)
    parser.add_argument("--batch-size", type=int, default=5)
    parser.add_argument("--give-up-after", type=float, default=120.0, help="seconds")
    args = parser.parse_args(argv)

    _log_to_stdout()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = Store(args.data / "scanner.sqlite3")
    device = store.device()
    if device is None:
        raise NotPaired()
    clock = HybridClock(device.device_id)
    core = ScannerCore(store, clock)
    sync = SyncService(store, clock, page_limit=50, batch_size=args.batch_size)
    source = FolderSource(args.frames, frame_interval=args.frame_interval)
    window = MainWindow(
        core,
        source,
        sync,
        verdict_seconds=0.05,
        sync_interval=args.sync_interval,
        repeat_quiet=1.0,
    )
    window.show()
    window.start()
    print(READY, flush=True)
    # Whoever started this is expected to kill it; never outlive a test that went away.
    QTimer.singleShot(int(args.give_up_after * 1000), app.quit)
    try:
        return app.exec()
    finally:
        window.shutdown()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
