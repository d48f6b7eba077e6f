"""``bilten scanner ...``. Nothing from Qt or OpenCV is imported until a command needs it, so
``bilten --help`` works on a venue mini-PC without the scanner extra."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner_app.errors import ScannerError

if TYPE_CHECKING:
    from shared.pairing import PairingPayload

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


def _pairing_hint(data: Path) -> str:
    return (
        "On the venue machine run `bilten venue pairing-code`, then here:\n"
        f"  bilten scanner pair --qr 'bilten-pair:...' --name NAME --data {data}\n"
        f"  or: bilten scanner pair --venue http://VENUE-HOST:PORT --code CODE --name NAME "
        f"--data {data}"
    )


def _run_gui(args: argparse.Namespace) -> int:
    try:
        import cv2  # noqa: F401
        import PySide6.QtWidgets  # noqa: F401
        import pyzbar.pyzbar  # noqa: F401
    except ImportError as exc:
        return _missing_extra(exc)

    from scanner_app.sources import open_source
    from scanner_app.store import Store

    store = Store(Path(args.data) / STORE_FILE)
    if not _has_display():
        unpaired = store.device() is None
        return _fail(
            "no display found (DISPLAY or WAYLAND_DISPLAY is unset); the gate app needs one"
            + (
                f".\nThis scanner is not paired with a venue yet. {_pairing_hint(args.data)}"
                if unpaired
                else ""
            )
        )
    # Opened before pairing, so a wrong --source is reported before anyone types a code.
    verdict_seconds = args.verdict_seconds or store.settings().verdict_seconds
    source = open_source(args.source, folder_interval=verdict_seconds + 0.5)

    from scanner_app.core import ScannerCore
    from scanner_app.sync import SyncService
    from scanner_app.ui.app import run_gate
    from scanner_app.ui.live_worker import LiveWorker
    from scanner_app.ui.main_window import MainWindow
    from shared.clock import HybridClock

    def open_gate() -> MainWindow:
        device = store.device()
        if device is None:
            raise ValueError("this scanner is not paired")
        try:
            clock = HybridClock(device.device_id)
        except ValueError as exc:
            raise ValueError(f"stored device id is unusable ({exc}); pair again") from exc
        return MainWindow(
            ScannerCore(store, clock),
            source,
            SyncService(store, clock),
            live=LiveWorker(store, clock),
            verdict_seconds=args.verdict_seconds,
            sync_interval=args.sync_interval,
            kiosk=args.kiosk,
        )

    code, error = run_gate(store, open_gate, fullscreen=args.fullscreen or args.kiosk)
    if error is not None:
        return _fail(error)
    if store.device() is None:
        print(f"This scanner is not paired yet. {_pairing_hint(args.data)}", file=sys.stderr)
    return code


def _pair(args: argparse.Namespace) -> int:
    try:
        import httpx  # noqa: F401
    except ImportError as exc:
        return _missing_extra(exc)
    from scanner_app.pairing import PairingFailed, ScannerPairing
    from scanner_app.store import Store

    if args.qr and (args.venue or args.code):
        return _fail("give either --qr PAYLOAD or --venue URL --code CODE, not both")
    if not args.qr and not args.code:
        return _fail("give --qr PAYLOAD (the pairing QR's text) or --code CODE (with --venue URL)")
    store = None
    try:
        target = _pairing_target(args)
        store = Store(Path(args.data) / STORE_FILE)
        result = ScannerPairing(store).pair(target, args.name, args.gate)
    except PairingFailed as exc:
        return _fail(f"pairing failed: {exc}", 2 if exc.problem.is_input else 1)
    except ImportError as exc:  # zeroconf, needed only to look for the venue
        return _missing_extra(exc)
    finally:
        if store is not None:
            store.close()
    print(json.dumps({**result.to_json(), "data": str(args.data)}))
    return 0


def _pairing_target(args: argparse.Namespace) -> PairingPayload:
    """What to pair with: the QR payload, the typed venue and code, or the one venue found."""
    from scanner_app.pairing import (
        choose_venue,
        code_from_input,
        target_from_input,
        target_from_payload,
    )

    if args.qr:
        return target_from_payload(args.qr)
    venue_url = args.venue
    if not venue_url:
        code_from_input(args.code)  # a mistyped code fails before a wait on the network
        from scanner_app.discovery import discover

        venue_url = choose_venue(discover(args.timeout)).url
    return target_from_input(venue_url, args.code)


def _discover(args: argparse.Namespace) -> int:
    try:
        from scanner_app.discovery import discover
    except ImportError as exc:
        return _missing_extra(exc)
    venues = discover(args.timeout)
    for venue in venues:
        print(json.dumps(venue.to_json()), flush=True)
    if not venues:
        return _fail(f"no venue server answered on this network within {args.timeout:g} s", 1)
    return 0


def _self_test(args: argparse.Namespace) -> int:
    try:
        import cv2  # noqa: F401
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        return _missing_extra(exc)
    if not args.offscreen and not _has_display():
        return _fail("no display found (DISPLAY or WAYLAND_DISPLAY is unset); add --offscreen")
    from scanner_app.self_test import main

    return main(offscreen=args.offscreen)


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
        help="the gate app (GUI); also pair, discover venues and decode",
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
        "--verdict-seconds",
        type=float,
        default=None,
        help="how long a verdict stays up (default: the gate's setting, 2.5 s)",
    )
    scanner.add_argument("--fullscreen", action="store_true", help="fill the screen")
    scanner.add_argument(
        "--kiosk",
        action="store_true",
        help="full screen, and only the kiosk PIN set in Settings leaves it",
    )
    scanner.set_defaults(handler=_guarded(_run_gui))
    sub = scanner.add_subparsers(dest="scanner_command", required=False, metavar="COMMAND")

    pair = sub.add_parser(
        "pair",
        help="pair this scanner with a venue server (no GUI)",
        description="Pair with the pairing QR's text (--qr), with a venue URL and code "
        "(--venue, --code), or with a code alone to find the venue server on this network. "
        "Then download the venue's tickets once. Prints one JSON object.",
    )
    pair.add_argument("--qr", metavar="PAYLOAD", help="the pairing QR's text: bilten-pair:URL#CODE")
    pair.add_argument(
        "--venue",
        metavar="URL",
        help="venue server URL, e.g. http://10.0.0.2:8100 (default: look for it on the LAN)",
    )
    pair.add_argument("--code", help="one-time pairing code from the venue, e.g. K7PM-3QXA")
    pair.add_argument("--name", required=True, help="a name for this scanner, e.g. 'North 1'")
    pair.add_argument("--gate", default=None, help="gate name (default: the venue's choice)")
    pair.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="S",
        help="seconds to look for venue servers when no --venue is given (default 3)",
    )
    # SUPPRESS keeps `bilten scanner --data DIR pair ...` working as well as `pair --data DIR`.
    pair.add_argument("--data", default=argparse.SUPPRESS, type=Path, help="data folder")
    pair.set_defaults(handler=_guarded(_pair))

    discover = sub.add_parser(
        "discover",
        help="list venue servers on this network; one JSON object per line",
        description='Looks for venue servers by mDNS and prints {"name", "instance", "url", '
        '"urls", "version"} per venue. Exit status 1 when none answered.',
    )
    discover.add_argument(
        "--timeout", type=float, default=3.0, metavar="S", help="seconds to listen (default 3)"
    )
    discover.set_defaults(handler=_guarded(_discover))

    self_test = sub.add_parser(
        "self-test",
        help="check that this installation works: Qt, translations, decoders, a scan",
        description="Opens the gate window on a throwaway data folder with a bundled ticket "
        "image as its camera and checks the scan is admitted; the gate's own data is not "
        "touched. Prints one JSON object; exit status 0 when everything worked.",
    )
    self_test.add_argument(
        "--offscreen", action="store_true", help="draw the window off screen (no display needed)"
    )
    self_test.set_defaults(handler=_guarded(_self_test))

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
