"""A full disk on the scanner: the gate app runs in a process whose files may not grow past
a limit (RLIMIT_FSIZE, what a full disk looks like to SQLite, no root needed), and keeps
scanning tickets until the database can take no more.

Every verdict the window showed is in the database; every scan it could not store got the
"Scan NOT recorded" screen instead of a verdict, and left nothing behind; every scan recorded
before is still there; once space is free again the gate records and uploads as before."""

from __future__ import annotations

import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scanner_app.store import Store
from tests.scanner.gate import Gate, TicketMaker
from tests.support import figure

pytestmark = [pytest.mark.gui, pytest.mark.slow]

LIMIT_BYTES = 160 * 1024
TOKENS = 80


def _disk_of(limit: int) -> None:
    """In the child: files stop growing at ``limit`` bytes; a write past it fails (EFBIG)
    instead of killing the process, as a write to a full disk fails with ENOSPC."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_shows_not_recorded_and_loses_nothing(tmp_path: Path) -> None:
    gate = Gate.paired(tmp_path, TicketMaker(event_id=7, key_id=70))
    core = gate.core()
    earlier = [gate.sell(holder=f"Early {n}") for n in range(5)]
    for token in earlier:
        core.scan(token)
    recorded_before = {r.scan_id for r in gate.store.recent_scans(limit=1000)}
    tokens = [gate.sell(holder=f"Guest {n}") for n in range(TOKENS)]
    gate.store.close()
    database = tmp_path / "scanner.sqlite3"
    assert database.stat().st_size < LIMIT_BYTES, "the limit leaves room for some scans"
    (tmp_path / "tokens.txt").write_text("\n".join(tokens))

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.scanner.full_disk_driver",
            "--data",
            str(tmp_path),
            "--tokens",
            str(tmp_path / "tokens.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: _disk_of(LIMIT_BYTES),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    shown = re.findall(r"^shown (\S+) (\S+)$", run.stdout, re.MULTILINE)
    refused = re.findall(r"^not recorded: (.+)$", run.stdout, re.MULTILINE)
    screens = re.findall(r"^screen (.+)$", run.stdout, re.MULTILINE)
    assert len(screens) == TOKENS
    assert shown, "some scans fitted on the disk"
    assert refused, "the disk filled up"
    assert screens.count("Scan NOT recorded") == len(refused) == TOKENS - len(shown)
    assert all("full" in why or "disk" in why or "I/O" in why for why in refused), refused[:3]

    figure(
        "scanner full disk",
        scans_offered=TOKENS,
        verdicts_shown=len(shown),
        not_recorded=len(refused),
        message=repr(refused[0]),
    )
    store = Store(database)
    try:
        held = {r.scan_id for r in store.recent_scans(limit=1000)}
        # Every verdict shown is on disk; nothing else was left behind; nothing earlier lost.
        assert {scan_id for scan_id, _ in shown} | recorded_before == held
        assert recorded_before <= held
        # Space again: the gate goes on recording.
        freed = Gate(store, gate.maker, gate.clock).core()
        freed.scan(tokens[-1])
        assert freed.last_scan is not None and freed.last_scan.scan_id in {
            r.scan_id for r in store.recent_scans(limit=1000)
        }
        assert store.pending_count() == len(held) + 1
    finally:
        store.close()
