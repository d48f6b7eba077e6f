"""The gate app on a disk that fills up, for tests/scanner/test_full_disk.py.

Run as ``python -m tests.scanner.full_disk_driver --data DIR --tokens FILE`` in a process
whose files may not grow past a limit (RLIMIT_FSIZE, set by the test): what a full disk looks
like to SQLite. It opens the paired scanner's real database, core and main window (offscreen)
and submits each token as a gate reader would; the window logs what it put on screen
(``shown <scan_id> <reason>`` after the scan is committed, ``not recorded: <why>`` instead of
a verdict), and this driver prints that log, then the screen's heading, for every token.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from scanner_app.core import ScannerCore
from scanner_app.store import Store
from scanner_app.ui.main_window import MainWindow
from shared.clock import HybridClock
from tests.scanner.kill_driver import _log_to_stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    args = parser.parse_args(argv)

    _log_to_stdout()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = Store(args.data / "scanner.sqlite3")
    device = store.device()
    assert device is not None
    core = ScannerCore(store, HybridClock(device.device_id))
    window = MainWindow(core, source=None, verdict_seconds=60)
    for token in args.tokens.read_text().split():
        window.submit(token)
        print(f"screen {window.verdict_view.title.text()}", flush=True)
        window.dismiss()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
