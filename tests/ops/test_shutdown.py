"""Stopping a server with SIGTERM (``docker stop``, ``systemctl stop``) loses nothing: the
request under way is answered, and the venue's sync batch on its way to the cloud lands and
is marked, while the rest waits for the next start."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.cli import main as bilten
from shared.messages import PairResponse, ScanAck, ScanBatch, decode, encode
from tests.cloud_harness import Cloud, CloudVenue, Organizer
from tests.ops.cloud_process import CloudProcess
from tests.ops.relay import HoldingRelay
from tests.venue.conftest import scan
from tests.venue.venue_driver import VenueProcess
from venue_server.pairing import issue_pairing_code
from venue_server.store import VenueStore

pytestmark = pytest.mark.slow

WAIT_S = 60.0


def _wait(condition: object, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited {timeout:g} s for {what}"
        time.sleep(0.05)


@pytest.fixture
def cloud_process(tmp_path: Path) -> Iterator[CloudProcess]:
    process = CloudProcess(tmp_path / "cloud", env={}).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()


def _read_answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before an answer"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed in the middle of the answer"
        body += chunk
    return int(head.split(b" ", 2)[1]), body


def test_the_cloud_answers_the_request_under_way_when_told_to_stop(
    cloud_process: CloudProcess, tmp_path: Path
) -> None:
    organizer = Organizer(cloud_process)  # type: ignore[arg-type]
    venue = organizer.venue()
    organizer.close()
    batch = encode(ScanBatch(scans=[scan("dgate1", event_id=venue.event_id) for _ in range(50)]))
    head = (
        "POST /api/v1/venue/scans HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{cloud_process.port}\r\n"
        f"Authorization: Bearer {venue.api_key}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(batch)}\r\n\r\n"
    ).encode()
    half = len(batch) // 2

    with socket.create_connection(("127.0.0.1", cloud_process.port), timeout=WAIT_S) as sock:
        # A venue's upload on a slow line: the server has the request, half of its body.
        sock.sendall(head + batch[:half])
        _wait(
            lambda: (
                cloud_process.metric(
                    "bilten_cloud_requests_in_progress",
                    app_name="bilten_cloud",
                    method="POST",
                    path="/api/v1/venue/scans",
                    status_code="200",
                )
                == 1
            ),
            "the upload to be under way",
        )
        assert cloud_process.process is not None
        cloud_process.process.send_signal(15)
        _wait(
            lambda: any(line["message"] == "Shutting down" for line in cloud_process.log),
            "the stop to begin",
        )
        # It takes no new work: new connections are refused ...
        _wait(lambda: not _connects(cloud_process.port), "new connections to be refused")
        # ... but the upload under way is read to its end and answered.
        sock.sendall(batch[half:])
        status, body = _read_answer(sock)

    exit_status = cloud_process.terminate()
    assert status == 200, body
    assert decode(body, ScanAck).stored == 50
    messages = [line["message"] for line in cloud_process.log]
    assert "Application shutdown complete." in messages
    assert not [m for m in messages if "graceful shutdown" in m.lower() or "Traceback" in m]
    # Stopped by its signal after a clean shutdown, not killed at the end of a timeout.
    assert exit_status in (0, -15)
    with sqlite3.connect(tmp_path / "cloud" / "cloud.db") as db:
        assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 50


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# -- the venue server's sync batch --------------------------------------------------------

UPLOAD_MARKER = b"POST /api/v1/venue/scans "


def _pair_gate(venue: VenueProcess, store_path: Path) -> PairResponse:
    store = VenueStore(store_path)
    try:
        code = issue_pairing_code(store, "North", 900, int(time.time()))
    finally:
        store.close()
    answer = httpx.post(
        f"{venue.url}/api/v1/pair",
        json={"v": 1, "code": code, "device_name": "North 1"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return decode(answer.content, PairResponse)


def test_the_venue_lands_its_sync_batch_under_way_and_keeps_the_rest_for_next_time(
    cloud: Cloud, organizer: Organizer, cloud_venue: CloudVenue, tmp_path: Path
) -> None:
    relay = HoldingRelay(cloud.port, UPLOAD_MARKER)
    data = tmp_path / "venue"
    assert bilten(["venue", "pair", "--cloud", relay.url, "--key", cloud_venue.api_key,
                   "--data", str(data)]) == 0  # fmt: skip
    venue = VenueProcess(
        data,
        env={"BILTEN_VENUE_UPLOAD_BATCH": "2", "BILTEN_VENUE_HTTP_TIMEOUT": "120"},
        sync_interval=0.3,
    )
    life = venue.start()
    try:
        gate = _pair_gate(venue, data / "venue.sqlite3")
        scans = [scan(gate, event_id=cloud_venue.event_id) for _ in range(6)]
        relay.holding.set()
        answer = httpx.post(
            f"{venue.url}/api/v1/scans",
            content=encode(ScanBatch(scans=scans)),
            headers={"Authorization": f"Bearer {gate.device_token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        # The first batch of two is on its way to the cloud, held in the relay.
        assert relay.held.wait(WAIT_S), "no upload left the venue"
        life.process.send_signal(15)
        assert life.wait_for(lambda line: "Shutting down" in line, WAIT_S)
        relay.release.set()
        exit_status = life.process.wait(timeout=WAIT_S)
    finally:
        if life.process.poll() is None:
            life.process.kill()
            life.process.wait()
        relay.release.set()

    assert exit_status == 0
    assert life.shut_down_cleanly()
    # The batch under way reached the cloud and was marked; no other batch was started.
    assert sorted(organizer.scan_ids(cloud_venue)) == sorted(s.scan_id for s in scans[:2])
    store = VenueStore(data / "venue.sqlite3")
    try:
        assert store.scan_counts() == (6, 4)
    finally:
        store.close()
    assert any("sync round ended early, the server is stopping" in line for line in life.lines)

    # Started again, it sends the rest; the cloud holds each scan once.
    relay.holding.clear()
    venue.start()
    try:
        _wait(lambda: len(organizer.scan_ids(cloud_venue)) >= 6, "the remaining scans")
    finally:
        venue.stop()
        relay.close()
    held = organizer.scan_ids(cloud_venue)
    assert sorted(held) == sorted(s.scan_id for s in scans)
