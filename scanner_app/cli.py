"""``bilten scanner ...``. Nothing from Qt or OpenCV is imported until a command needs it, so
``bilten --help`` works on a venue mini-PC without the scanner extra."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from scanner_app.errors import ScannerError, VenueRefused, VenueUnreachable
from shared.errors import ProtocolError

STORE_FILE = "scanner.sqlite3"


def default_data_dir() -> Path:
    base = os.environ.get("BILTEN_DATA")
    return Path(base) / "scanner" if base else Path("bilten-data") / "scanner"


def _fail(message: str, code: int = 2) -> int:
    print(f"bilten scanner: {message}", file=sys.stderr)
    return code


def _missing_extra(exc: ImportError) -> int:
    return _fail(
        f"the scanner needs its extra packages ({exc.name or exc}); "
        "install them with: pip install 'bilten[scanner]'"
    )


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run_gui(args: argparse.Namespace) -> int:
    try:
        import cv2  # noqa: F401
        import PySide6.QtWidgets  # noqa: F401
        import pyzbar.pyzbar  # noqa: F401
    except ImportError as exc:
        return _missing_extra(exc)
    if not _has_display():
        return _fail(
            "no display found (DISPLAY or WAYLAND_DISPLAY is unset); the gate app needs one"
        )

    from scanner_app.core import ScannerCore
    from scanner_app.sources import open_source
    from scanner_app.store import Store
    from scanner_app.sync import SyncService
    from scanner_app.ui.app import run_window
    from shared.clock import HybridClock

    store = Store(Path(args.data) / STORE_FILE)
    device = store.device()
    if device is None:
        return _fail(
            "this scanner is not paired with a venue yet. On the venue machine run "
            "`bilten venue pairing-code`, then here:\n"
            f"  bilten scanner pair --venue http://VENUE-HOST:PORT --code CODE --name NAME "
            f"--data {args.data}"
        )
    try:
        clock = HybridClock(device.device_id)
    except ValueError as exc:
        return _fail(f"stored device id is unusable ({exc}); pair again")
    source = open_source(args.source, folder_interval=args.verdict_seconds + 0.5)
    core = ScannerCore(store, clock)
    sync = SyncService(store, clock)
    return run_window(
        core,
        source,
        sync,
        verdict_seconds=args.verdict_seconds,
        sync_interval=args.sync_interval,
        fullscreen=args.fullscreen,
    )


def _pair(args: argparse.Namespace) -> int:
    try:
        import httpx  # noqa: F401
    except ImportError as exc:
        return _missing_extra(exc)
    from scanner_app.store import Store
    from scanner_app.sync import SyncService

    store = Store(Path(args.data) / STORE_FILE)
    sync = SyncService(store)
    try:
        device = sync.pair(args.venue, args.code, args.name, args.gate)
    except VenueUnreachable as exc:
        return _fail(f"{exc}; is the venue server running and on this network?", 1)
    except VenueRefused as exc:
        return _fail(f"pairing refused: {exc.detail} (codes are single-use and expire)", 1)
    except ProtocolError as exc:
        return _fail(f"the venue answered something unexpected: {exc}", 1)
    # Download the tickets now, so the gate is ready before its first scan; offline is fine,
    # the window keeps trying.
    first_sync = sync.sync_once()
    print(
        json.dumps(
            {
                "device_id": device.device_id,
                "device_name": device.device_name,
                "gate": device.gate,
                "venue_name": device.venue_name,
                "venue_url": device.venue_url,
                "data": str(args.data),
                "sync": first_sync.status.value,
                "tickets": store.ticket_count(),
            }
        )
    )
    return 0


def _decode(args: argparse.Namespace) -> int:
    try:
        from scanner_app.decode import decode_file
    except ImportError as exc:
        return _missing_extra(exc)
    for name in args.images:
        print(json.dumps(decode_file(Path(name)).to_json()), flush=True)
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    scanner = subparsers.add_parser(
        "scanner",
        help="the gate app (GUI); also pair and decode",
        description="Without a sub-command, start the gate app.",
    )
    scanner.add_argument("--data", default=default_data_dir(), type=Path, help="data folder")
    scanner.add_argument(
        "--source",
        default="camera:0",
        help="camera:N, file:PATH, folder:DIR or video:PATH (default camera:0)",
    )
    scanner.add_argument(
        "--sync-interval", type=float, default=15.0, help="seconds between venue syncs"
    )
    scanner.add_argument(
        "--verdict-seconds", type=float, default=4.0, help="how long a verdict stays up"
    )
    scanner.add_argument("--fullscreen", action="store_true", help="fill the screen")
    scanner.set_defaults(handler=_guarded(_run_gui))
    sub = scanner.add_subparsers(dest="scanner_command", required=False, metavar="COMMAND")

    pair = sub.add_parser("pair", help="pair this scanner with a venue server (no GUI)")
    pair.add_argument("--venue", required=True, help="venue server URL, e.g. http://10.0.0.2:8100")
    pair.add_argument("--code", required=True, help="one-time pairing code from the venue")
    pair.add_argument("--name", required=True, help="a name for this scanner, e.g. 'North 1'")
    pair.add_argument("--gate", default=None, help="gate name (default: the venue's choice)")
    # SUPPRESS keeps `bilten scanner --data DIR pair ...` working as well as `pair --data DIR`.
    pair.add_argument("--data", default=argparse.SUPPRESS, type=Path, help="data folder")
    pair.set_defaults(handler=_guarded(_pair))

    decode = sub.add_parser(
        "decode",
        help="decode QR codes in images; one JSON object per image",
        description='Prints {"file", "codes": [...], "ms"} per image; unreadable files get '
        'an "error" field and no codes.',
    )
    decode.add_argument("images", nargs="+", metavar="IMAGE")
    decode.set_defaults(handler=_guarded(_decode))


def _guarded(handler: Any) -> Any:
    """Scanner errors become a one-line message and exit 2, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            result: int = handler(args)
        except ScannerError as exc:
            return _fail(str(exc))
        return result

    return run
