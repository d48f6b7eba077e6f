"""``bilten cloud serve`` as a real process, the way a container runs it: a port, settings in
the environment, JSON log lines on stderr that the test reads as they come."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port

BILTEN = str(Path(sys.executable).with_name("bilten"))
START_TIMEOUT_S = 60


class CloudProcess:
    """One API process. ``lines`` holds its log lines, parsed when they are JSON."""

    def __init__(
        self, data: Path, env: Mapping[str, str], port: int | None = None, workers: int = 1
    ) -> None:
        self.data = data
        self.port = port or free_port()
        self.workers = workers
        self.env = {**os.environ, "BILTEN_LOG_JSON": "1", **env}
        self.output: list[str] = []
        self._changed = threading.Condition()
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CloudProcess:
        self.process = subprocess.Popen(
            [
                BILTEN,
                "cloud",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data",
                str(self.data),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.output.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError("cloud exited:\n" + "\n".join(self.output[-40:]))
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"cloud not ready within {START_TIMEOUT_S} s")

    @property
    def log(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far."""
        with self._changed:
            lines = list(self.output)
        return [json.loads(line) for line in lines if line.startswith("{")]

    def wait_for_line(self, wanted: Callable[[dict[str, Any]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(wanted(line) for line in self.log):
                return True
            with self._changed:
                self._changed.wait(0.1)
        return False

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as a container stop sends it; returns the exit status once the process
        ended and every line it wrote has been read."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        self._drain()
        return status

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._drain()

    def _drain(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=30)

    def metric(self, name: str, **labels: str) -> float:
        """One sample of this process's /metrics (0 when absent)."""
        shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        wanted = name + ("{" + shown + "}" if labels else "")
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            metric, _, value = line.rpartition(" ")
            if metric == wanted:
                return float(value)
        return 0.0
