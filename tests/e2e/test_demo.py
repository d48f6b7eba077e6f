"""`bilten demo`, run the way a new user runs it: as a command, in its own process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import httpx

from tests.support import free_port, port_open


def bilten(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_seed_only_writes_tokens_keys_and_printable_tickets(tmp_path):
    data = tmp_path / "demo"
    result = bilten("demo", "--seed-only", "--data", str(data), "--cloud-port", str(free_port()))
    assert result.returncode == 0, result.stdout + result.stderr

    tokens = (data / "tokens.txt").read_text().split()
    assert len(tokens) >= 200
    verified = bilten("ticket", "verify", "--keys", str(data / "keys.json"), *tokens)
    lines = [json.loads(line) for line in verified.stdout.splitlines()]
    assert verified.returncode == 0
    assert all(line["valid"] for line in lines) and len(lines) == len(tokens)
    assert len({line["event_id"] for line in lines}) >= 2
    keys = json.loads((data / "keys.json").read_text())["keys"]
    assert len({k["public_key"] for k in keys}) == len({k["event_id"] for k in keys}) >= 2

    pngs = sorted((data / "tickets").glob("*.png"))
    assert len(pngs) == len(tokens)
    decoded = bilten("scanner", "decode", *map(str, pngs[:3]))
    codes = [json.loads(line)["codes"] for line in decoded.stdout.splitlines()]
    assert all(len(c) == 1 and c[0] in tokens for c in codes)


def test_demo_without_a_display_keeps_the_servers_running_until_interrupted(tmp_path):
    cloud_port, venue_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "demo",
            "--data",
            str(tmp_path / "demo"),
            "--cloud-port",
            str(cloud_port),
            "--venue-port",
            str(venue_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        output = _read_until(proc, "press Ctrl-C to stop", timeout=240)
        assert f"http://127.0.0.1:{cloud_port}" in output
        assert "organizer@demo.bilten.test" in output
        assert "No display found" in output
        # The manager's dashboard is ready to log in to, with the password the banner shows.
        assert "manager password: demo-manager-pass" in output
        login = httpx.get(f"http://127.0.0.1:{venue_port}/dashboard/login", timeout=5)
        assert login.status_code == 200
        assert "Outgoing email" in output  # the cloud worker runs beside the servers
        # The platform admin the banner names can log in.
        admin = httpx.post(
            f"http://127.0.0.1:{cloud_port}/api/v1/auth/login",
            json={"email": "admin@demo.bilten.test", "password": "demo-admin-pass"},
            timeout=5,
        )
        assert "admin@demo.bilten.test / demo-admin-pass" in output
        assert admin.status_code == 200, admin.text
        users = httpx.get(
            f"http://127.0.0.1:{cloud_port}/api/v1/admin/users",
            headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
            timeout=5,
        )
        assert users.status_code == 200
        # The ticket shop lists the demo's events, with the tickets not issued yet on sale.
        shop = httpx.get(f"http://127.0.0.1:{cloud_port}/events?q=opening", timeout=5)
        assert shop.status_code == 200
        assert "Opening Night" in shop.text and "Closing Gala" not in shop.text

        # The venue server pulls every ticket from the cloud in the background.
        deadline = time.monotonic() + 60
        health: dict = {}
        while time.monotonic() < deadline:
            health = httpx.get(f"http://127.0.0.1:{venue_port}/health", timeout=5).json()
            if health.get("tickets", 0) >= 200:
                break
            time.sleep(0.5)
        assert health["paired"] and health["tickets"] >= 200
        assert health["devices"] == 1  # the demo scanner is paired
        # ...and already holds every ticket, so its first scan is judged against them.
        gate = sqlite3.connect(tmp_path / "demo" / "scanner" / "scanner.sqlite3")
        assert gate.execute("SELECT count(*) FROM tickets").fetchone()[0] == health["tickets"]
        gate.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert not port_open("127.0.0.1", cloud_port) and not port_open("127.0.0.1", venue_port)


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError("demo did not come up:\n" + "".join(seen))


def test_demo_with_a_display_plays_the_door_rehearsal_in_the_scanner_window(tmp_path):
    from tests.support import need

    need(_qt_available(), "the scanner extra (PySide6)")
    data = tmp_path / "demo"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # a real window, drawn offscreen
    cloud_port, venue_port = free_port(), free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "demo",
            "--data",
            str(data),
            "--cloud-port",
            str(cloud_port),
            "--venue-port",
            str(venue_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        store = data / "scanner" / "scanner.sqlite3"
        reasons: list[str] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(reasons) < 6:
            if store.exists():
                with contextlib.suppress(sqlite3.OperationalError):
                    gate = sqlite3.connect(store)
                    reasons = [r for (r,) in gate.execute("SELECT reason FROM scans ORDER BY hlc")]
                    gate.close()
            time.sleep(1)
    finally:
        # Stopped as a service manager or `kill` stops it: its servers stop with it.
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert not port_open("127.0.0.1", cloud_port) and not port_open("127.0.0.1", venue_port)
    # What the rehearsal folder holds, judged by the gate in that order.
    assert reasons == [
        "admitted",
        "admitted",
        "already_admitted",
        "revoked",
        "forged",
        "admitted",
    ]


def test_a_demo_whose_port_is_taken_says_so_and_starts_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = bilten("demo", "--seed-only", "--data", str(tmp_path / "demo"),
                        "--cloud-port", str(port), timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert f"127.0.0.1:{port}, the cloud's port, is taken" in result.stdout
    assert "--cloud-port" in result.stdout
    assert not (tmp_path / "demo").exists()


def _qt_available() -> bool:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return False
    return True
