from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

BILTEN = str(Path(sys.executable).with_name("bilten"))


def test_serve_migrates_the_embedded_database_and_answers(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [BILTEN, "cloud", "serve", "--port", str(port), "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert r.json()["status"] == "ok"
        signup = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/signup",
            json={"email": "a@example.org", "password": "long enough", "name": "A"},
        )
        assert signup.status_code == 201
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert (tmp_path / "cloud.db").exists()


@pytest.mark.postgres
def test_serve_refuses_an_unmigrated_server_database(postgres_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "BILTEN_DATABASE_URL": postgres_url}
    refused = subprocess.run(
        [BILTEN, "cloud", "serve", "--port", str(free_port()), "--data", str(tmp_path)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "bilten cloud migrate" in refused.stderr

    migrated = subprocess.run(
        [BILTEN, "cloud", "migrate", "--data", str(tmp_path)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrated.returncode == 0, migrated.stderr
    again = subprocess.run(
        [BILTEN, "cloud", "migrate", "--data", str(tmp_path)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
