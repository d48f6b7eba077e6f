"""``bilten venue serve`` as a real process that a test can SIGKILL and start again.

Its log lines (stderr) are collected as they come, so a test can kill it at the moment a line
says it is in the middle of something (a manifest page applied with more to come, a scan
batch on its way to the cloud).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = (sys.executable, "-u", "-m", "shared.cli", "venue", "serve")


@dataclass
class Life:
    """One run of the process, from start to kill or stop."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    ended: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()
        self.ended.set()

    def shut_down_cleanly(self) -> bool:
        """Whether the server ran its shutdown to the end (sync round finished, store closed)."""
        self.ended.wait(10)
        return any("Application shutdown complete" in line for line in self.lines)

    def wait_for(self, wanted: Callable[[str], bool], timeout: float) -> bool:
        """Wait until a line of this life matches ``wanted``; False after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                if any(wanted(line) for line in self.lines[seen:]):
                    return True
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return False
                self.changed.wait(left)


class VenueProcess:
    """A venue server process on a fixed port and data folder, restartable."""

    def __init__(self, data: Path, env: Mapping[str, str], sync_interval: float) -> None:
        self.data = data
        self.port = free_port()
        self.sync_interval = sync_interval
        self.env = {**os.environ, **env}
        self.lives: list[Life] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def life(self) -> Life:
        return self.lives[-1]

    def start(self) -> Life:
        command = [
            *SERVE,
            "--data",
            str(self.data),
            "--port",
            str(self.port),
            "--sync-interval",
            str(self.sync_interval),
            "--no-announce",
        ]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        life = Life(process)
        threading.Thread(target=life.read, daemon=True).start()
        self.lives.append(life)
        self._wait_until_serving(life)
        return life

    def _wait_until_serving(self, life: Life) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if life.process.poll() is not None:
                raise AssertionError("venue server exited:\n" + "\n".join(life.lines[-30:]))
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise AssertionError("venue server did not answer /health within 30 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a power cut of the process."""
        self.life.process.send_signal(signal.SIGKILL)
        self.life.process.wait(timeout=10)

    def stop(self) -> bool:
        """SIGTERM, the way a service manager stops it; returns whether it shut down cleanly."""
        process = self.life.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
        return self.life.shut_down_cleanly()

    def health(self) -> dict[str, object]:
        body: dict[str, object] = httpx.get(f"{self.url}/health", timeout=5).json()
        return body

    def metric(self, name: str) -> float | None:
        """One unlabelled sample from /metrics, or None when the server does not expose it."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        for line in text.splitlines():
            metric, _, value = line.partition(" ")
            if metric == name:
                return float(value)
        return None
