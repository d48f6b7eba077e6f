from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.cli import main
from shared.messages import PairResponse, decode
from tests.cloud_harness import Cloud, Organizer
from tests.support import free_port, serving
from tests.venue.live_gate import Gate
from tests.venue.venue_driver import VenueProcess
from venue_server.app import create_app
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore


def test_pair_stores_the_cloud_and_the_venue_name(
    tmp_path: Path, cloud: Cloud, organizer: Organizer, capsys: pytest.CaptureFixture[str]
) -> None:
    venue = organizer.venue("Grand Hall")

    code = main(
        [
            "venue",
            "pair",
            "--cloud",
            cloud.url + "/",
            "--key",
            venue.api_key,
            "--data",
            str(tmp_path),
        ]
    )

    assert code == 0
    assert "Grand Hall" in capsys.readouterr().out
    store = VenueStore(tmp_path / "venue.sqlite3")
    link = store.cloud_link()
    store.close()
    assert link is not None
    assert (link.url, link.api_key, link.venue_name) == (cloud.url, venue.api_key, "Grand Hall")


def test_pair_explains_a_refused_key_and_stores_nothing(
    tmp_path: Path, cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["venue", "pair", "--cloud", cloud.url, "--key", "guess", "--data", str(tmp_path)])

    assert code == 1
    assert "refused the venue key" in capsys.readouterr().err
    assert not (tmp_path / "venue.sqlite3").exists()


def test_pair_explains_an_unreachable_cloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    code = main(["venue", "pair", "--cloud", url, "--key", "venue-key", "--data", str(tmp_path)])

    assert code == 1
    assert f"cannot reach the cloud at {url}" in capsys.readouterr().err


def test_a_printed_pairing_code_pairs_a_scanner_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qr = tmp_path / "pair.png"
    code = main(
        [
            "venue",
            "pairing-code",
            "--gate",
            "East",
            "--data",
            str(tmp_path),
            "--url",
            "http://10.1.2.3:8100",
            "--qr",
            str(qr),
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    payload = next(line for line in out.splitlines() if line.startswith("QR payload: "))
    pairing_code = payload.rsplit("#", 1)[1]
    assert payload.startswith("QR payload: bilten-pair:http://10.1.2.3:8100#")
    assert qr.read_bytes().startswith(b"\x89PNG")

    settings = VenueSettings(data_dir=tmp_path)
    with serving(create_app(settings, sync=False)) as server:
        body = {"v": 1, "code": pairing_code, "device_name": "East 1"}
        first = httpx.post(f"{server.url}/api/v1/pair", json=body)
        second = httpx.post(f"{server.url}/api/v1/pair", json=body)

    assert first.status_code == 200 and first.json()["gate"] == "East"
    assert second.status_code == 403

    assert main(["venue", "devices", "--data", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    device_id = first.json()["device_id"]
    assert device_id in listing and "active" in listing
    assert main(["venue", "revoke-device", device_id, "--data", str(tmp_path)]) == 0
    assert main(["venue", "revoke-device", device_id, "--data", str(tmp_path)]) == 1


def test_serve_runs_a_venue_server_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "BILTEN_VENUE_DATA": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "venue", "serve", "--port", str(port), "--log-json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)

    assert health.json()["status"] == "ok"
    assert (tmp_path / "venue.sqlite3").exists()
    logged = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    assert any("/health" in entry["message"] for entry in logged)
    # Ctrl+C is how an operator ends it: a clean stop, so a clean exit status for scripts.
    assert process.returncode == 0


# Far beyond a prompt stop, far below the graceful-shutdown timeout a stuck stream would hit.
STOP_BOUND_S = 10


def test_serve_stops_at_once_and_cleanly_on_sigterm_while_gates_are_on_the_live_feed(
    tmp_path: Path,
) -> None:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    venue = VenueProcess(settings.data_dir, env={}, sync_interval=5)
    life = venue.start()
    try:
        store = VenueStore(settings.db_path)
        codes = [issue_pairing_code(store, "North", 900, int(time.time())) for _ in range(2)]
        store.close()
        gates = [Gate(venue.url, _pair(venue.url, code).device_token) for code in codes]
        for gate in gates:
            gate.next("manifest")  # the stream is open and following

        life.process.send_signal(signal.SIGTERM)
        status = life.process.wait(timeout=STOP_BOUND_S)
    finally:
        if life.process.poll() is None:
            life.process.kill()
            life.process.wait()

    assert status == 0
    assert all(gate.ended() for gate in gates)
    assert life.shut_down_cleanly()
    logged = "\n".join(life.lines)
    assert "Traceback" not in logged
    assert "graceful shutdown exceeded" not in logged


def _pair(url: str, code: str) -> PairResponse:
    answer = httpx.post(
        f"{url}/api/v1/pair", json={"v": 1, "code": code, "device_name": "Tablet"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return decode(answer.content, PairResponse)
