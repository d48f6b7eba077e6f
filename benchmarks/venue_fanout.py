"""How fast a scan at one gate reaches every other gate through the venue server.

A real venue server (``create_app`` under uvicorn, its own process, SQLite file) on loopback,
N paired scanners each holding the live feed open (``GET /api/v1/live``, one HTTP connection
each), and a driver that uploads single scans from random gates at a steady rate, the way gates
upload as they admit people. Every scanner notes when each scan arrives; propagation is
arrival minus the start of the upload, for every (scan, other scanner) pair.

Baselines measured in the same run, against the same server:

1. a bare loopback HTTP round trip (``GET /health``), the floor of any exchange;
2. the scan upload itself (``POST /api/v1/scans``: decode, SQLite commit with fsync, answer);
3. what the gates had before the live feed: each polling the scan feed (``GET /api/v1/scans``)
   once a second, as fast as the alf.io / pretix gate apps pull (every 5 s / 30 s).

The clients (scanners and driver) share one asyncio process, and this machine's cores with the
server: arrival times include the clients' own scheduling, so the figures are pessimistic.

Run from the repository root::

    .venv/bin/python benchmarks/venue_fanout.py --quick   # under a minute
    .venv/bin/python benchmarks/venue_fanout.py           # 50 scanners, 30 s of scans

The last line printed is one JSON object with every figure, for scripts to compare runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from scanner_app.live import SseParser  # noqa: E402
from shared.clock import HybridClock  # noqa: E402
from shared.ids import new_scan_id  # noqa: E402
from shared.messages import PairRequest, ScanBatch, ScanFeed, ScanRecord, decode, encode  # noqa: E402
from shared.reasons import Reason  # noqa: E402
from tests.support import free_port  # noqa: E402
from venue_server.pairing import issue_pairing_code, pair_device  # noqa: E402
from venue_server.settings import VenueSettings  # noqa: E402
from venue_server.store import VenueStore  # noqa: E402

TARGET_P99_MS = 250.0
POLL_INTERVAL = 1.0
# After the last upload, how long a scan may still take before it counts as never arrived.
STRAGGLE_SECONDS = 5.0


@dataclass(frozen=True)
class Mode:
    scanners: int
    rate: float  # scans per second, all gates together
    push_seconds: float
    poll_seconds: float
    health_calls: int


QUICK = Mode(scanners=50, rate=20.0, push_seconds=10.0, poll_seconds=6.0, health_calls=200)
FULL = Mode(scanners=50, rate=20.0, push_seconds=30.0, poll_seconds=15.0, health_calls=1000)


@dataclass(frozen=True)
class Gate:
    device_id: str
    token: str
    clock: HybridClock

    def scan(self) -> ScanRecord:
        return ScanRecord(
            scan_id=new_scan_id(),
            device_id=self.device_id,
            device_name=f"bench {self.device_id}",
            gate="Main",
            hlc=self.clock.now().encode(),
            scanned_at_ms=time.time_ns() // 1_000_000,
            reason=Reason.ADMITTED,
        )


# -- the venue server, in its own process ----------------------------------------------------


def serve(data_dir: Path, port: int) -> None:
    """The child process: the venue server, as ``bilten venue serve`` runs it, minus the LAN."""
    import uvicorn

    from venue_server.app import create_app

    settings = VenueSettings(data_dir=data_dir, port=port, announce=False)
    app = create_app(settings, sync=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)


def pair_gates(data_dir: Path, count: int) -> list[Gate]:
    """Pair ``count`` scanners through the venue's own pairing code path, before it serves."""
    store = VenueStore(VenueSettings(data_dir=data_dir).db_path)
    gates = []
    now = int(time.time())
    for n in range(count):
        code = issue_pairing_code(store, "Main", 900, now)
        answer = pair_device(store, PairRequest(code=code, device_name=f"Gate {n}"), now)
        gates.append(Gate(answer.device_id, answer.device_token, HybridClock(answer.device_id)))
    store.close()
    return gates


@contextlib.contextmanager
def venue_process(data_dir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(data_dir), str(port)], cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError("the venue server did not start")
            time.sleep(0.1)
        yield url, child.pid
    finally:
        child.terminate()
        child.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- measurements ----------------------------------------------------------------------------


@dataclass
class Deliveries:
    """When each scan was uploaded, by which gate, and when each other gate had it."""

    started: dict[str, tuple[float, int]] = field(default_factory=dict)
    arrived: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    duplicates: int = 0
    upload_ms: list[float] = field(default_factory=list)

    def note(self, scanner: int, scan_ids: Sequence[str], at: float) -> None:
        for scan_id in scan_ids:
            seen = self.arrived[scan_id]
            if scanner in seen:
                self.duplicates += 1
            else:
                seen[scanner] = at

    def propagation_ms(self, scanners: int) -> tuple[list[float], int]:
        """Delays of every (scan, other scanner) pair, and how many pairs never arrived."""
        delays: list[float] = []
        missing = 0
        for scan_id, (start, origin) in self.started.items():
            seen = self.arrived.get(scan_id, {})
            for scanner in range(scanners):
                if scanner == origin:
                    continue
                if scanner in seen:
                    delays.append((seen[scanner] - start) * 1000)
                else:
                    missing += 1
        return delays, missing

    def complete(self, scanners: int) -> bool:
        """Whether every scan reached every scanner but the one that made it."""
        return all(
            len(self.arrived.get(scan_id, {}).keys() - {origin}) >= scanners - 1
            for scan_id, (_, origin) in self.started.items()
        )


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values), 1) if values else float("nan"),
    }


async def health_rtt(url: str, calls: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(base_url=url) as http:
        await http.get("/health")  # the connection, opened once
        for _ in range(calls):
            start = time.perf_counter()
            (await http.get("/health")).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return times


async def upload(
    http: httpx.AsyncClient, gates: list[Gate], origin: int, deliveries: Deliveries
) -> None:
    gate = gates[origin]
    record = gate.scan()
    start = time.perf_counter()
    deliveries.started[record.scan_id] = (start, origin)
    answer = await http.post(
        "/api/v1/scans",
        content=encode(ScanBatch(scans=[record])),
        headers={"Authorization": f"Bearer {gate.token}", "Content-Type": "application/json"},
    )
    answer.raise_for_status()
    deliveries.upload_ms.append((time.perf_counter() - start) * 1000)


async def drive(url: str, gates: list[Gate], mode: Mode, seconds: float, d: Deliveries) -> None:
    """Uploads at ``mode.rate`` on a fixed schedule, whatever the answers' timing."""
    limits = httpx.Limits(max_connections=len(gates), max_keepalive_connections=len(gates))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        uploads = []
        begin = time.perf_counter()
        for k in range(int(seconds * mode.rate)):
            await asyncio.sleep(max(0.0, begin + k / mode.rate - time.perf_counter()))
            uploads.append(
                asyncio.create_task(upload(http, gates, random.randrange(len(gates)), d))
            )
        await asyncio.gather(*uploads)
        deadline = time.perf_counter() + STRAGGLE_SECONDS
        while not d.complete(len(gates)) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)


async def listen(url: str, gates: list[Gate], index: int, d: Deliveries, up: asyncio.Event) -> None:
    """One scanner on the live feed, from the feed's current end."""
    headers = {"Authorization": f"Bearer {gates[index].token}"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10, read=60)) as http,
        http.stream("GET", "/api/v1/live", params={"cursor": ""}, headers=headers) as answer,
    ):
        answer.raise_for_status()
        parser = SseParser()
        async for line in answer.aiter_lines():
            event = parser.feed(line)
            if event is None:
                continue
            if event.event == "scans":
                at = time.perf_counter()
                d.note(index, [r.scan_id for r in decode(event.data, ScanFeed).scans], at)
            elif event.event == "manifest":
                up.set()  # the hello: caught up and following


async def push_phase(url: str, gates: list[Gate], mode: Mode) -> Deliveries:
    deliveries = Deliveries()
    ready = [asyncio.Event() for _ in gates]
    listeners = [
        asyncio.create_task(listen(url, gates, n, deliveries, ready[n])) for n in range(len(gates))
    ]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in ready)), timeout=60)
    await drive(url, gates, mode, mode.push_seconds, deliveries)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return deliveries


async def poll(
    url: str, gates: list[Gate], index: int, d: Deliveries, stop: asyncio.Event, cursor: str
) -> None:
    """One scanner as gates worked before the live feed: the scan feed, once a second."""
    headers = {"Authorization": f"Bearer {gates[index].token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        await asyncio.sleep(random.random() * POLL_INTERVAL)  # gates do not poll in step
        while not stop.is_set():
            answer = await http.get("/api/v1/scans", params={"cursor": cursor, "limit": 1000})
            feed = decode(answer.content, ScanFeed)
            d.note(index, [r.scan_id for r in feed.scans], time.perf_counter())
            cursor = feed.next_cursor
            await asyncio.sleep(POLL_INTERVAL)


async def poll_phase(url: str, gates: list[Gate], mode: Mode) -> Deliveries:
    deliveries = Deliveries()
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {gates[0].token}"}
    ) as http:
        end = decode((await http.get("/api/v1/scans", params={"limit": 1})).content, ScanFeed)
        cursor = end.next_cursor
        while end.has_more:  # start every poller at the feed's current end
            end = decode(
                (await http.get("/api/v1/scans", params={"cursor": cursor, "limit": 1000})).content,
                ScanFeed,
            )
            cursor = end.next_cursor
    stop = asyncio.Event()
    pollers = [
        asyncio.create_task(poll(url, gates, n, deliveries, stop, cursor))
        for n in range(len(gates))
    ]
    await drive(url, gates, mode, mode.poll_seconds, deliveries)
    stop.set()
    await asyncio.gather(*pollers)
    return deliveries


# -- the run ---------------------------------------------------------------------------------


async def measure(url: str, pid: int, gates: list[Gate], mode: Mode) -> dict[str, object]:
    health = await health_rtt(url, mode.health_calls)
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    pushed = await push_phase(url, gates, mode)
    server_cpu = (cpu_seconds(pid) - cpu_before) / (time.perf_counter() - wall_before)
    polled = await poll_phase(url, gates, mode)

    push_delays, push_missing = pushed.propagation_ms(len(gates))
    poll_delays, poll_missing = polled.propagation_ms(len(gates))
    push, poll_, rtt, up = (
        summary(push_delays),
        summary(poll_delays),
        summary(health),
        summary(pushed.upload_ms),
    )
    print(f"{len(gates)} scanners on the live feed, {mode.rate:g} scans/s from random gates")
    print(f"  bare HTTP round trip (GET /health):  p50 {rtt['p50']} ms  p99 {rtt['p99']} ms")
    print(f"  scan upload (POST /api/v1/scans):    p50 {up['p50']} ms  p99 {up['p99']} ms")
    print(
        f"  live feed, upload start -> other gate: p50 {push['p50']} ms  p99 {push['p99']} ms  "
        f"max {push['max']} ms  ({len(push_delays)} deliveries, {push_missing} missing, "
        f"{pushed.duplicates} duplicates)  target p99 <= {TARGET_P99_MS:g} ms"
    )
    print(
        f"  polling every {POLL_INTERVAL:g} s instead:        p50 {poll_['p50']} ms  "
        f"p99 {poll_['p99']} ms  max {poll_['max']} ms  ({len(poll_delays)} deliveries)"
    )
    print(f"  venue server CPU while pushing: {server_cpu:.0%} of one core")
    return {
        "scanners": len(gates),
        "scans": len(pushed.started),
        "rate_per_s": mode.rate,
        "propagation_p50_ms": push["p50"],
        "propagation_p99_ms": push["p99"],
        "propagation_max_ms": push["max"],
        "deliveries": len(push_delays),
        "missing": push_missing,
        "duplicates": pushed.duplicates,
        "target_p99_ms": TARGET_P99_MS,
        "target_met": push["p99"] <= TARGET_P99_MS and push_missing == 0,
        "upload_p50_ms": up["p50"],
        "upload_p99_ms": up["p99"],
        "health_rtt_p50_ms": rtt["p50"],
        "health_rtt_p99_ms": rtt["p99"],
        "poll_1s_p50_ms": poll_["p50"],
        "poll_1s_p99_ms": poll_["p99"],
        "poll_missing": poll_missing,
        "server_cpu_share": round(server_cpu, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a shorter run, under a minute")
    parser.add_argument("--scanners", type=int, help="scanners on the live feed (default 50)")
    parser.add_argument("--rate", type=float, help="scans per second, all gates together")
    parser.add_argument("--seconds", type=float, help="how long to upload scans for")
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return 0
    mode = QUICK if args.quick else FULL
    mode = Mode(
        scanners=args.scanners or mode.scanners,
        rate=args.rate or mode.rate,
        push_seconds=args.seconds or mode.push_seconds,
        poll_seconds=mode.poll_seconds,
        health_calls=mode.health_calls,
    )
    with tempfile.TemporaryDirectory(prefix="bilten-fanout-") as folder:
        data_dir = Path(folder) / "venue"
        gates = pair_gates(data_dir, mode.scanners)
        with venue_process(data_dir) as (url, pid):
            figures = asyncio.run(measure(url, pid, gates, mode))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
