"""How fast and how well a gate turns a camera frame into a recorded verdict.

Three measurements, each next to the baseline it must be judged against:

1. Decoding: our QR pipeline against zbar alone and zxing-cpp alone (one plain call per frame
   each), on the same generated 1280x720 door frames (``tests/frames.py``: dark-mode phones,
   faded prints, noise, blur, tilt, rotation, crumples, glare, far-away codes, JPEG). Success
   rate and milliseconds per frame, colour conversion included for all three. Frames without
   any QR code are timed too, since most frames a door camera sees are empty.
2. Durable check-ins per second through ``ScannerCore.scan`` on a SQLite file, against a bare
   sqlite3 transaction (select + insert + update, WAL, synchronous=FULL) in the same folder.
3. Scan-to-verdict latency: ``ScannerCore.scan`` per valid ticket, camera excluded.

Run from the repository root::

    .venv/bin/python benchmarks/scan_pipeline.py --quick   # under a minute
    .venv/bin/python benchmarks/scan_pipeline.py           # the full run

The last line printed is one JSON object with every figure, for scripts to compare runs.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import zxingcpp  # noqa: E402
from pyzbar.pyzbar import ZBarSymbol  # noqa: E402
from pyzbar.pyzbar import decode as zbar_decode  # noqa: E402

from scanner_app.core import ScannerCore  # noqa: E402
from scanner_app.decode import read_codes  # noqa: E402
from shared.messages import ManifestPage  # noqa: E402
from shared.reasons import Reason  # noqa: E402
from tests.frames import CATEGORIES, degraded_frames, negative_frames  # noqa: E402
from tests.scanner.gate import Gate, TicketMaker, ticket_entry  # noqa: E402

DECODE_TARGET_RATE = 0.97
DECODE_TARGET_MEDIAN_MS = 5.0
CHECKIN_TARGET_RATIO = 0.5


@dataclass(frozen=True)
class Mode:
    frames_per_category: int
    negative_frames: int
    checkins: int


QUICK = Mode(frames_per_category=10, negative_frames=20, checkins=300)
FULL = Mode(frames_per_category=40, negative_frames=100, checkins=2000)


# -- decoding -------------------------------------------------------------------------------


def pipeline(frame: np.ndarray) -> tuple[str, ...]:
    return read_codes(frame).codes


def raw_zbar(frame: np.ndarray) -> tuple[str, ...]:
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    symbols = zbar_decode(gray, symbols=[ZBarSymbol.QRCODE])
    return tuple(s.data.decode("utf-8", "replace") for s in symbols)


def raw_zxing(frame: np.ndarray) -> tuple[str, ...]:
    """zxing-cpp as its documentation shows it: one call, its own defaults (which already
    try inverted images and downscaled copies), QR codes only."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    return tuple(b.text for b in found if b.valid)


DECODERS: dict[str, Callable[[np.ndarray], tuple[str, ...]]] = {
    "pipeline": pipeline,
    "raw_pyzbar": raw_zbar,
    "raw_zxing": raw_zxing,
}


@dataclass
class DecoderTally:
    """One decoder's results over the frame set."""

    ms: list[float] = field(default_factory=list)
    empty_ms: list[float] = field(default_factory=list)
    read: Counter[str] = field(default_factory=Counter)
    shown: Counter[str] = field(default_factory=Counter)
    false_reads: int = 0

    @property
    def rate(self) -> float:
        return sum(self.read.values()) / max(1, sum(self.shown.values()))


def timed(decoder: Callable[[np.ndarray], tuple[str, ...]], frame: np.ndarray) -> tuple:
    started = time.perf_counter()
    codes = decoder(frame)
    return codes, (time.perf_counter() - started) * 1000


def run_decoding(mode: Mode) -> tuple[dict[str, DecoderTally], Counter[str]]:
    """Each frame is made, handed to every decoder in turn, then dropped: the full run's
    frames would not fit in memory together."""
    tallies = {name: DecoderTally() for name in DECODERS}
    stages: Counter[str] = Counter()
    warm_up()
    count = mode.frames_per_category * len(CATEGORIES)
    for frame in degraded_frames(count, seed=1):
        stage = read_codes(frame.image).stage
        stages[str(stage) if stage else "not read"] += 1
        for name, decoder in DECODERS.items():
            codes, ms = timed(decoder, frame.image)
            tally = tallies[name]
            tally.ms.append(ms)
            tally.shown[frame.category] += 1
            tally.read[frame.category] += frame.expected in codes
    for frame in negative_frames(mode.negative_frames, seed=1):
        for name, decoder in DECODERS.items():
            codes, ms = timed(decoder, frame.image)
            tallies[name].empty_ms.append(ms)
            tallies[name].false_reads += bool(codes)
    return tallies, stages


def warm_up() -> None:
    """First calls load libraries and allocate buffers; keep that out of the figures."""
    for frame in degraded_frames(3, seed=99):
        for decoder in DECODERS.values():
            decoder(frame.image)


# -- check-ins ------------------------------------------------------------------------------

ROUNDS = 10


@dataclass
class CheckinResult:
    per_s: float
    raw_per_s: float
    latencies_ms: list[float]


def run_checkins(folder: Path, count: int) -> CheckinResult:
    """Valid, never-scanned tickets through the real core on a real file, one at a time and
    each committed to disk before the next, as at a busy gate; and the bare-sqlite3 floor on
    the same disk. The two alternate in rounds, so a burst of disk or CPU load from anything
    else on the machine weighs on both alike."""
    gate, tokens = _paired_gate(folder, count)
    raw = _RawCheckins(folder / "raw.sqlite3", count)
    core = gate.core()
    core.scan(tokens.pop())  # warm-up: caches, the first page reads
    raw.check_in(count)  # the raw side's warm-up: a ticket it keeps for that
    latencies: list[float] = []
    core_seconds = raw_seconds = 0.0
    per_round = -(-len(tokens) // ROUNDS)
    try:
        for start in range(0, len(tokens), per_round):
            batch = tokens[start : start + per_round]
            started = time.perf_counter()
            for token in batch:
                latencies.append(_timed_scan(core, token))
            core_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for i in range(start, start + len(batch)):
                raw.check_in(i)
            raw_seconds += time.perf_counter() - started
    finally:
        gate.store.close()
        raw.close()
    return CheckinResult(len(tokens) / core_seconds, len(tokens) / raw_seconds, latencies)


def _paired_gate(folder: Path, count: int) -> tuple[Gate, list[str]]:
    """A paired scanner whose manifest lists ``count`` + 1 sold tickets; returns their codes."""
    maker = TicketMaker(event_id=7, key_id=70)
    gate = Gate.paired(folder / "scanner", maker)
    claims = [maker.claims() for _ in range(count + 1)]
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor="bench", has_more=False, tickets=[ticket_entry(c) for c in claims])
    )
    return gate, [maker.token(c) for c in claims]


def _timed_scan(core: ScannerCore, token: str) -> float:
    started = time.perf_counter()
    verdict = core.scan(token)
    ms = (time.perf_counter() - started) * 1000
    if verdict.reason is not Reason.ADMITTED:
        raise SystemExit(f"benchmark setup is wrong: a valid ticket got {verdict.reason}")
    return ms


class _RawCheckins:
    """The floor any durable check-in pays: one WAL transaction with a full sync, reading the
    ticket, inserting the scan and updating the ticket."""

    def __init__(self, path: Path, count: int) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("CREATE TABLE tickets (id TEXT PRIMARY KEY, admitted INTEGER)")
        self._conn.execute(
            "CREATE TABLE scans (id TEXT PRIMARY KEY, ticket_id TEXT, at REAL, gate TEXT)"
        )
        self._conn.executemany(
            "INSERT INTO tickets VALUES (?, 0)", [(f"T{i:08d}",) for i in range(count + 1)]
        )

    def check_in(self, i: int) -> None:
        ticket = f"T{i:08d}"
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT admitted FROM tickets WHERE id = ?", (ticket,)).fetchone()
        conn.execute(
            "INSERT INTO scans VALUES (?, ?, ?, ?)", (f"S{i:08d}", ticket, time.time(), "North")
        )
        conn.execute("UPDATE tickets SET admitted = admitted + 1 WHERE id = ?", (ticket,))
        conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


# -- report ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(
    tallies: dict[str, DecoderTally],
    stages: Counter[str],
    checkins: CheckinResult,
) -> dict[str, float | int]:
    ours, zbar, zxing = tallies["pipeline"], tallies["raw_pyzbar"], tallies["raw_zxing"]
    frames = sum(ours.shown.values())
    print(f"decoding {frames} degraded 1280x720 frames (and {len(ours.empty_ms)} with no QR)")
    print(f"  {'category':<12} {'pipeline':>9} {'pyzbar':>9} {'zxing':>9}")
    for category in CATEGORIES:
        shown = ours.shown[category]
        cells = [f"{t.read[category]:>4}/{shown:<4}" for t in (ours, zbar, zxing)]
        print(f"  {category:<12} {cells[0]:>9} {cells[1]:>9} {cells[2]:>9}")
    for name, tally in (("pipeline", ours), ("raw pyzbar", zbar), ("raw zxing-cpp", zxing)):
        print(
            f"  {name:<14} read {tally.rate:6.1%}   median {statistics.median(tally.ms):6.2f} ms"
            f"   p99 {percentile(tally.ms, 99):7.2f} ms   empty frame median "
            f"{statistics.median(tally.empty_ms):6.2f} ms   false reads {tally.false_reads}"
        )
    print(
        "  pipeline stages that read the frames: "
        + ", ".join(f"{stage} {n}" for stage, n in stages.most_common())
    )
    median_ms = statistics.median(ours.ms)
    verdict = (
        "meets"
        if ours.rate >= DECODE_TARGET_RATE and median_ms <= DECODE_TARGET_MEDIAN_MS
        else "MISSES"
    )
    print(
        f"  target: read >= {DECODE_TARGET_RATE:.0%} at median <= {DECODE_TARGET_MEDIAN_MS} ms"
        f" -> {verdict}"
    )
    raw_per_s = checkins.raw_per_s
    ratio = checkins.per_s / raw_per_s
    print(
        f"durable check-ins: {checkins.per_s:7.1f}/s through ScannerCore.scan vs "
        f"{raw_per_s:7.1f}/s raw sqlite3 (WAL, synchronous=FULL) = {ratio:.2f}x "
        f"(target >= {CHECKIN_TARGET_RATIO}x -> "
        f"{'meets' if ratio >= CHECKIN_TARGET_RATIO else 'MISSES'})"
    )
    print(
        f"scan to verdict: p50 {percentile(checkins.latencies_ms, 50):.2f} ms, "
        f"p99 {percentile(checkins.latencies_ms, 99):.2f} ms "
        f"(baseline: one raw sqlite3 check-in takes {1000 / raw_per_s:.2f} ms)"
    )
    return {
        "frames": frames,
        "decode_rate": round(ours.rate, 4),
        "decode_median_ms": round(median_ms, 3),
        "decode_p99_ms": round(percentile(ours.ms, 99), 3),
        "decode_empty_median_ms": round(statistics.median(ours.empty_ms), 3),
        "decode_false_reads": ours.false_reads,
        "raw_pyzbar_rate": round(zbar.rate, 4),
        "raw_pyzbar_median_ms": round(statistics.median(zbar.ms), 3),
        "raw_pyzbar_p99_ms": round(percentile(zbar.ms, 99), 3),
        "raw_zxing_rate": round(zxing.rate, 4),
        "raw_zxing_median_ms": round(statistics.median(zxing.ms), 3),
        "raw_zxing_p99_ms": round(percentile(zxing.ms, 99), 3),
        "checkins_per_s": round(checkins.per_s, 1),
        "raw_sqlite_per_s": round(raw_per_s, 1),
        "checkins_ratio": round(ratio, 3),
        "scan_to_verdict_p50_ms": round(percentile(checkins.latencies_ms, 50), 3),
        "scan_to_verdict_p99_ms": round(percentile(checkins.latencies_ms, 99), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL

    tallies, stages = run_decoding(mode)
    with tempfile.TemporaryDirectory(prefix="bilten-bench-") as folder:
        checkins = run_checkins(Path(folder), mode.checkins)
    figures = report(tallies, stages, checkins)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
