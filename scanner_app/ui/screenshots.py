"""Pictures of the gate window in its main states, for the README and the staff handbook.

    python -m scanner_app.ui.screenshots OUT_DIR [--language en|de]

Nothing on them is painted for the occasion: a paired scanner store in a temporary folder,
tickets signed with a freshly made Ed25519 key, a quarter of an hour of earlier scans for the
numbers, and every verdict the answer of ``ScannerCore.scan`` (or of a manual admission through
the search panel) on the real gate window, rendered offscreen at 1280x800. Only the camera is
imitated: its picture is a ticket's QR code on a phone, drawn with OpenCV.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from scanner_app.core import ScannerCore
from scanner_app.sources import CameraSource
from scanner_app.store import DeviceConfig, GateSettings, Store
from scanner_app.sync import SyncReport, SyncStatus
from scanner_app.ui.app import application
from scanner_app.ui.i18n import install_translations
from scanner_app.ui.main_window import MainWindow
from shared.clock import HybridClock
from shared.ids import new_scan_id
from shared.keys import VerifyKey
from shared.messages import Direction, EventEntry, ManifestPage, ScanRecord, TicketEntry
from shared.reasons import Reason
from shared.token import TicketClaims, sign_ticket

SIZE = (1280, 800)
# In the order they are taken: each state follows from the ones before (the manual admission
# starts in the search, the exit lets out someone admitted earlier).
STATES = (
    "scanning",
    "admitted",
    "rejected",
    "already-admitted",
    "search",
    "manual-admission",
    "offline",
    "exit",
)
LANGUAGES = ("en", "de")
EVENT_ID = 42
KEY_ID = 4201
OTHER_DEVICE = "deast02"


def screenshot_names(language: str = "en") -> list[str]:
    """The files one run writes: ``scanner-<state>.png``, with ``-<language>`` unless English."""
    suffix = "" if language == "en" else f"-{language}"
    return [f"scanner-{state}{suffix}.png" for state in STATES]


@dataclass(frozen=True)
class Wording:
    """What the organizer and the staff would have typed, in the language of the pictures."""

    gate: str
    other_gate: str
    device_name: str
    other_device: str
    staff: str
    types: dict[int, str]
    manual_note: str


WORDING = {
    "en": Wording(
        gate="North",
        other_gate="East",
        device_name="North 1",
        other_device="East 2",
        staff="Mira K.",
        types={1: "General admission", 2: "Balcony", 3: "VIP lounge", 4: "Weekend pass"},
        manual_note="Phone battery dead, ID checked",
    ),
    "de": Wording(
        gate="Nord",
        other_gate="Ost",
        device_name="Nord 1",
        other_device="Ost 2",
        staff="Mira K.",
        types={1: "Stehplatz", 2: "Balkon", 3: "VIP-Lounge", 4: "Wochenendpass"},
        manual_note="Akku leer, Ausweis gepr\u00fcft",
    ),
}

# The crowd that came through before the pictures, for the numbers and the search.
_FIRST_NAMES = ("Lena", "Omar", "Sofia", "Jonah", "Priya", "Mateo", "Ingrid", "Kwame", "Yuki")
_SURNAMES = ("Berg", "Haddad", "Rossi", "Fischer", "Iyer", "Garc\u00eda", "Lund", "Mensah")
# The people in the pictures.
ADMITTED = "Amara Okafor"
REPEAT = "Jonas Weber"
SEARCHED = "Novak"
FOUND = "Emma Novak"
ALSO_FOUND = ("Lukas Novak", "Hana Novak")
SHOWN_TWICE = "Omar Haddad"  # in the crowd: a single-entry ticket scanned a second time
_FEATURED_TYPES = {
    ADMITTED: 2,
    REPEAT: 1,
    FOUND: 1,
    ALSO_FOUND[0]: 1,
    ALSO_FOUND[1]: 3,
    SHOWN_TWICE: 1,
}


class RehearsalClock:
    """Wall time for the core, set back while the earlier scans are replayed, then real."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self) -> float:
        return time.time() if self.at is None else self.at

    def millis(self) -> int:
        return int(self() * 1000)


@dataclass
class DemoGate:
    """A scanner paired with a made-up venue, as if the venue server had sent it all."""

    store: Store
    core: ScannerCore
    clock: RehearsalClock
    wording: Wording
    tokens: dict[str, str] = field(default_factory=dict)  # holder -> QR text
    refs: dict[str, str] = field(default_factory=dict)  # holder -> ticket id

    def forged_token(self) -> str:
        """A well-formed ticket signed with a key that is not the event's."""
        return sign_ticket(_claims(type_id=1), Ed25519PrivateKey.generate())


def _claims(type_id: int) -> TicketClaims:
    return TicketClaims(
        key_id=KEY_ID,
        event_id=EVENT_ID,
        ticket_id=secrets.token_bytes(12),
        type_id=type_id,
        issued_at=int(time.time()) - 7 * 86400,
    )


def build_gate(folder: Path, language: str) -> DemoGate:
    """Pair a store in ``folder`` and load one event's key and tickets into it."""
    wording = WORDING[language]
    store = Store(folder / "scanner.sqlite3")
    store.save_device(
        DeviceConfig(
            device_id="dnorth01",
            device_token=secrets.token_urlsafe(24),
            venue_url="http://192.168.1.20:8100",
            device_name=wording.device_name,
            gate=wording.gate,
            venue_name="Harbour Hall",
        )
    )
    store.save_settings(GateSettings(staff=wording.staff, sound=False, language=language))
    key = Ed25519PrivateKey.generate()
    now = int(time.time())
    crowd = [f"{first} {last}" for last in _SURNAMES for first in _FIRST_NAMES]
    holders = [ADMITTED, REPEAT, FOUND, *ALSO_FOUND, *crowd]
    chooser = random.Random(7)  # the same crowd, the same tickets, every run
    tokens: dict[str, str] = {}
    tickets: list[TicketEntry] = []
    for number, holder in enumerate(holders):
        type_id = _FEATURED_TYPES.get(holder) or chooser.choice((1, 1, 1, 2, 3, 4))
        claims = _claims(type_id)
        tokens[holder] = sign_ticket(claims, key)
        tickets.append(_ticket_entry(claims, holder, number, wording))
    store.apply_manifest_page(
        ManifestPage(
            next_cursor="demo-1",
            has_more=False,
            events=[
                EventEntry(
                    event_id=EVENT_ID,
                    name="Harbour Sounds \u2014 Night 2",
                    starts_at=now - 2 * 3600,
                    ends_at=now + 4 * 3600,
                    venue_name="Harbour Hall",
                )
            ],
            keys=[VerifyKey(KEY_ID, EVENT_ID, key.public_key()).to_entry()],
            tickets=tickets,
        )
    )
    clock = RehearsalClock()
    core = ScannerCore(store, HybridClock("dnorth01", wall=clock.millis), now=clock)
    refs = {entry.holder_name: entry.ticket_id for entry in tickets}
    return DemoGate(store, core, clock, wording, tokens, refs)


def _ticket_entry(claims: TicketClaims, holder: str, number: int, wording: Wording) -> TicketEntry:
    user = holder.lower().replace(" ", ".").replace("\u00ed", "i")
    return TicketEntry(
        ticket_id=claims.ticket_ref,
        event_id=claims.event_id,
        type_id=claims.type_id,
        type_name=wording.types[claims.type_id],
        holder_name=holder,
        holder_email=f"{user}@example.org",
        order_ref=f"HS-{20418 + number * 7}",
        revoked=holder == ALSO_FOUND[1],
        max_entries=2 if claims.type_id == 4 else 1,
        reentry=claims.type_id in (3, 4),
    )


def rehearse(gate: DemoGate, minutes: int = 14) -> None:
    """The quarter of an hour before the pictures: the crowd scanned in at a rising pace, a
    forgery and a repeat among them, and another gate's admission relayed by the venue."""
    start = time.time() - minutes * 60
    crowd = [h for h in gate.tokens if h not in (ADMITTED, REPEAT, FOUND, *ALSO_FOUND)]
    pace = random.Random(11)
    moments = sorted(start + pace.triangular(0, minutes * 60, minutes * 50) for _ in crowd)
    for holder, moment in zip(crowd, moments, strict=True):
        gate.clock.at = moment
        gate.core.scan(gate.tokens[holder])
    gate.clock.at = start + minutes * 40
    gate.core.scan(gate.forged_token())
    gate.core.scan(gate.tokens[SHOWN_TWICE])
    gate.clock.at = start + minutes * 20
    gate.core.scan(gate.tokens[ALSO_FOUND[0]])
    gate.clock.at = None
    _admitted_elsewhere(gate, REPEAT, minutes_ago=12)
    # Uploaded, but for the last few; the ticket list fresh from a sync a minute ago.
    uploaded = [record.scan_id for record in gate.store.recent_scans(500)[3:]]
    gate.store.mark_uploaded(uploaded)
    gate.store.mark_synced(time.time() - 60)


def _admitted_elsewhere(gate: DemoGate, holder: str, *, minutes_ago: int) -> None:
    at_ms = int((time.time() - minutes_ago * 60) * 1000)
    record = ScanRecord(
        scan_id=new_scan_id(),
        device_id=OTHER_DEVICE,
        device_name=gate.wording.other_device,
        gate=gate.wording.other_gate,
        hlc=HybridClock(OTHER_DEVICE, wall=lambda: at_ms).now().encode(),
        scanned_at_ms=at_ms,
        reason=Reason.ADMITTED,
        event_id=EVENT_ID,
        ticket_id=gate.refs[holder],
        direction=Direction.ENTRY,
    )
    gate.store.add_feed_scans([record], f"feed-{record.scan_id}")


# -- the camera's picture --------------------------------------------------------------------


def camera_frame(text: str, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """What a gate camera sees when someone holds up a phone with the ticket: the QR code on
    a bright screen, tilted, in a dim hall, a little soft (BGR, like OpenCV's)."""
    width, height = size
    pace = np.random.default_rng(3)
    frame = _hall(width, height, pace)
    phone = _phone(text)
    ph, pw = phone.shape[:2]
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    cx, cy, scale = width * 0.55, height * 0.5, height * 0.86 / ph
    target = np.array(
        [
            [cx - pw * scale * 0.5 + 10, cy - ph * scale * 0.5 - 4],
            [cx + pw * scale * 0.5 + 34, cy - ph * scale * 0.5 + 22],
            [cx + pw * scale * 0.5 + 6, cy + ph * scale * 0.5 + 6],
            [cx - pw * scale * 0.5 - 16, cy + ph * scale * 0.5 - 14],
        ],
        np.float32,
    )
    warp = cv2.getPerspectiveTransform(source, target)
    flat = cv2.warpPerspective(phone, warp, (width, height))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), warp, (width, height))
    alpha = cv2.GaussianBlur(mask, (5, 5), 0)[..., None].astype(np.float32) / 255
    blended = frame * (1 - alpha) + flat.astype(np.float32) * alpha
    # Soft like a webcam's lens; no sensor noise, which would triple the PNGs' size.
    soft = np.asarray(cv2.GaussianBlur(blended, (3, 3), 0.8), np.float64)
    return np.clip(soft, 0, 255).astype(np.uint8)


def _hall(width: int, height: int, pace: np.random.Generator) -> np.ndarray:
    """A dim, warm background with soft lights and a vignette."""
    rows = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([70, 62, 58], np.float32), np.array([34, 30, 30], np.float32)
    frame = np.broadcast_to(top * (1 - rows) + bottom * rows, (height, width, 3)).copy()
    lights = np.zeros((height, width), np.float32)
    for _ in range(9):
        x, y = int(pace.uniform(0, width)), int(pace.uniform(0, height * 0.35))
        cv2.circle(lights, (x, y), int(pace.uniform(14, 40)), 1.0, -1)
    glow = np.asarray(cv2.GaussianBlur(lights, (0, 0), 22), np.float32) * 150
    frame += glow[..., None] * np.array([0.75, 0.9, 1.0], np.float32)
    ys, xs = np.ogrid[:height, :width]
    radius = np.hypot((xs - width / 2) / width, (ys - height / 2) / height)
    return frame * (1 - 0.9 * radius**2)[..., None]


def _phone(text: str) -> np.ndarray:
    """A phone showing the ticket: dark body, white screen, a header band and the QR code."""
    qr = np.array(list(segno.make(text, error="m").matrix_iter(scale=1, border=3)), np.uint8)
    module = 7
    code = cv2.resize((1 - qr) * 255, None, fx=module, fy=module, interpolation=cv2.INTER_NEAREST)
    side = code.shape[0]
    width, height = side + 60, int((side + 60) * 2.0)
    phone = np.zeros((height, width, 3), np.uint8)
    phone[:] = (28, 26, 26)
    screen_top, margin = 70, 14
    phone[screen_top : height - 60, margin : width - margin] = (246, 246, 244)
    phone[screen_top : screen_top + 110, margin : width - margin] = (120, 86, 20)  # the band
    cv2.putText(
        phone,
        "Harbour Sounds",
        (margin + 22, screen_top + 70),
        cv2.FONT_HERSHEY_DUPLEX,
        1.2,
        (255, 255, 255),
        2,
        cv2.LINE_AA,
    )
    top = screen_top + 150
    left = (width - side) // 2
    phone[top : top + side, left : left + side] = code[..., None]
    cv2.circle(phone, (width // 2, height - 30), 14, (60, 58, 58), 2, cv2.LINE_AA)
    return phone


def to_qimage(frame: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


# -- taking the pictures ---------------------------------------------------------------------


def take_screenshots(out_dir: Path, language: str = "en") -> list[Path]:
    """Open the gate window on a demo store and save one PNG per state into ``out_dir``."""
    app = application()
    used = install_translations(app, language)
    if used != language:
        raise SystemExit(f"no {language} translation is installed; the pictures would be English")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bilten-screenshots-") as folder:
        gate = build_gate(Path(folder), language)
        try:
            rehearse(gate)
            window = MainWindow(
                gate.core, CameraSource(0), None, verdict_seconds=3600, stats_interval=3600
            )
            try:
                return _shoot_all(app, window, gate, out_dir, screenshot_names(language))
            finally:
                window.shutdown()
                window.deleteLater()
                app.processEvents()
        finally:
            gate.store.close()


def _shoot_all(
    app: QApplication, window: MainWindow, gate: DemoGate, out_dir: Path, names: Sequence[str]
) -> list[Path]:
    window.resize(*SIZE)
    window.show()
    written: list[Path] = []

    def shoot(name: str, before: Callable[[], None]) -> None:
        before()
        for _ in range(3):  # layouts settle over a few passes (word-wrapped labels)
            app.processEvents()
        path = out_dir / name
        picture = window.grab()
        if not picture.save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}: check the folder exists and is writable")
        written.append(path)

    def verdict(token: str) -> None:
        window.dismiss()
        result = gate.core.scan(token)
        record = gate.core.last_scan
        window.show_verdict(result, record.scan_id if record is not None else "")

    online = SyncReport(SyncStatus.ONLINE, at=time.time() - 20, last_synced=time.time() - 60)
    steps: dict[str, Callable[[], None]] = {
        "scanning": lambda: _scanning(window, gate, online),
        "admitted": lambda: verdict(gate.tokens[ADMITTED]),
        "rejected": lambda: verdict(gate.forged_token()),
        "already-admitted": lambda: verdict(gate.tokens[REPEAT]),
        "search": lambda: _search(window, gate),
        "manual-admission": lambda: _admit_by_hand(window, gate),
        "offline": lambda: _go_offline(window),
        "exit": lambda: _exit_gate(window, gate, verdict),
    }
    for state, name in zip(STATES, names, strict=True):
        shoot(name, steps[state])
    return written


def _scanning(window: MainWindow, gate: DemoGate, report: SyncReport) -> None:
    window.show_sync_report(report)
    window.show_preview(to_qimage(camera_frame(gate.tokens[ADMITTED])))


def _search(window: MainWindow, gate: DemoGate) -> None:
    window.dismiss()
    window.open_search()
    panel = window.search_panel
    assert panel is not None
    panel.search_field.setText(SEARCHED)
    panel.refresh()
    row = panel.results.find(gate.refs[FOUND])
    if row is not None:
        panel.table.selectRow(row)


def _admit_by_hand(window: MainWindow, gate: DemoGate) -> None:
    panel = window.search_panel
    assert panel is not None
    panel.reason_field.setText(gate.wording.manual_note)
    panel.admit_button.click()  # records the admission; the window shows its verdict


def _go_offline(window: MainWindow) -> None:
    window.dismiss()
    if window.search_panel is not None:
        window.close_search()
    window.show_sync_report(
        SyncReport(
            SyncStatus.OFFLINE,
            detail="the venue server did not answer",
            at=time.time() - 5,
            last_synced=time.time() - 60,
        )
    )


def _exit_gate(window: MainWindow, gate: DemoGate, verdict: Callable[[str], None]) -> None:
    """The same scanner turned into an exit gate: the first picture's guest leaves."""
    gate.core.configure(replace(gate.core.settings, direction=Direction.EXIT))
    window.apply_settings()
    verdict(gate.tokens[ADMITTED])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scanner_app.ui.screenshots",
        description="Save pictures of the gate window in its main states (PNG, 1280x800).",
    )
    parser.add_argument("out_dir", type=Path, help="folder for the scanner-*.png files")
    parser.add_argument(
        "--language", choices=LANGUAGES, default="en", help="language of the window (default: en)"
    )
    args = parser.parse_args(argv)
    # The window is drawn off screen: the same pictures on a desktop, a server or in CI.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for path in take_screenshots(args.out_dir, args.language):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
