"""``bilten scanner self-test``: does this installation of the gate app work?

Made for the desktop bundle (packaging/scanner), where a missing library or data file shows
only when a gate needs it, and for a gate laptop before doors open. It runs what a scan runs,
on a throwaway data folder, and changes nothing of the gate's own:

1. Qt starts (offscreen with ``--offscreen``) and the German translation loads;
2. the bundled ticket image is read by each decoder on its own (zxing-cpp and zbar), which
   proves their native libraries load;
3. the real gate window opens with that image as its camera, and the scan goes through the
   whole pipeline (camera worker, decoding, signature check with the bundled public key,
   the SQLite store) to a verdict on screen, which must be an admission.

One JSON object on stdout says what was checked; the exit status is 0 when all passed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

ASSETS = "assets"
TICKET_IMAGE = "selftest-ticket.png"
KEY_FILE = "selftest-keys.json"
DEVICE_ID = "dselftest"
EXIT_FAILED = 1


@dataclass
class SelfTestReport:
    ok: bool = False
    qt_platform: str = ""
    language: str = ""
    decoders: dict[str, bool] = field(default_factory=dict)
    verdict: str | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def asset(name: str) -> Path:
    """A file shipped inside the package (also inside the desktop bundle)."""
    return Path(str(files("scanner_app").joinpath(ASSETS, name)))


def run_self_test(*, offscreen: bool, timeout_s: float = 60.0) -> SelfTestReport:
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.monotonic()
    report = SelfTestReport()
    with tempfile.TemporaryDirectory(prefix="bilten-self-test-") as folder:
        _check(report, Path(folder), timeout_s)
    report.seconds = round(time.monotonic() - started, 2)
    report.ok = not report.problems and report.verdict == "admitted"
    return report


def _check(report: SelfTestReport, folder: Path, timeout_s: float) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from scanner_app.ui.app import application
    from scanner_app.ui.i18n import install_translations

    app = application()
    report.qt_platform = QApplication.platformName()
    report.language = install_translations(app, "de")
    if report.language != "de":
        report.problems.append("the German translation is missing")
    install_translations(app, "en")
    image = asset(TICKET_IMAGE)
    report.decoders = _decoders(image)
    report.problems += [
        f"{name} did not read the ticket" for name, ok in report.decoders.items() if not ok
    ]

    store, window = _gate(folder, image)
    try:

        def shown(verdict: Any, _scan_id: str) -> None:
            report.verdict = verdict.reason.value
            app.quit()

        def too_late() -> None:
            report.problems.append(f"no verdict within {timeout_s:g} s")
            app.quit()

        window.verdict_shown.connect(shown)
        QTimer.singleShot(int(timeout_s * 1000), too_late)
        window.resize(1024, 700)
        window.show()
        window.start()
        app.exec()
    finally:
        window.shutdown()
        window.close()
        store.close()
    if report.verdict not in (None, "admitted"):
        report.problems.append(f"the ticket was not admitted: {report.verdict}")


def _decoders(image: Path) -> dict[str, bool]:
    import zxingcpp
    from pyzbar.pyzbar import decode as zbar_decode

    from scanner_app.decode import read_image

    frame = read_image(image)
    zxing = [result.text for result in zxingcpp.read_barcodes(frame)]
    zbar = [result.data.decode("ascii") for result in zbar_decode(frame)]
    return {"zxing-cpp": len(zxing) == 1, "zbar": len(zbar) == 1 and zbar == zxing}


def _gate(folder: Path, image: Path) -> tuple[Any, Any]:
    """A gate paired with no venue, holding the self-test event's key, watching ``image``."""
    from scanner_app.core import ScannerCore
    from scanner_app.sources import open_source
    from scanner_app.store import DeviceConfig, GateSettings, Store
    from scanner_app.ui.main_window import MainWindow
    from shared.clock import HybridClock
    from shared.messages import EventEntry, KeyFile, ManifestPage, decode

    keys = decode(asset(KEY_FILE).read_bytes(), KeyFile)
    now = int(time.time())
    store = Store(folder / "scanner.sqlite3")
    store.save_device(
        DeviceConfig(
            device_id=DEVICE_ID,
            device_token="self-test",  # noqa: S106 - reaches no venue: nothing is synced
            venue_url="http://127.0.0.1:9",
            device_name="Self-test",
            gate="Self-test",
            venue_name="Self-test",
        )
    )
    store.save_settings(GateSettings(sound=False, language="en"))
    store.apply_manifest_page(
        ManifestPage(
            next_cursor="self-test",
            has_more=False,
            events=[
                EventEntry(
                    event_id=entry.event_id,
                    name="Self-test",
                    starts_at=now - 3600,
                    ends_at=now + 3600,
                    venue_name="Self-test",
                )
                for entry in keys.keys
            ],
            keys=list(keys.keys),
        )
    )
    core = ScannerCore(store, HybridClock(DEVICE_ID))
    window = MainWindow(core, open_source(f"file:{image}"), verdict_seconds=1.0)
    return store, window


def main(offscreen: bool) -> int:
    report = run_self_test(offscreen=offscreen)
    print(report.to_json(), flush=True)
    if not report.ok:
        for problem in report.problems:
            print(f"bilten scanner self-test: {problem}", file=sys.stderr)
    return 0 if report.ok else EXIT_FAILED
