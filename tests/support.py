"""Test plumbing: real services when they are there, loud skips when not, failures on CI."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(available: bool, what: str) -> None:
    """Skip loudly on a laptop that lacks ``what``; fail on CI, which must never skip it."""
    if available:
        return
    message = f"{what} is not available"
    if ON_CI:
        pytest.fail(f"{message} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """A real uvicorn server for an ASGI app, on a loopback port, in a background thread.

    Stops the way ``bilten venue serve`` does: an app with a ``begin_stop()`` (the venue's,
    whose live streams never end by themselves) is told first, so the stop does not wait out
    uvicorn's graceful-shutdown timeout for them.
    """

    def __init__(self, app: Any, port: int | None = None) -> None:
        import uvicorn

        self.app = app
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        begin_stop = getattr(self.app, "begin_stop", None)
        if callable(begin_stop):
            begin_stop()
        self.server.should_exit = True
        self.thread.join(timeout=20)


@contextlib.contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[ServerThread]:
    server = ServerThread(app, port).start()
    try:
        yield server
    finally:
        server.stop()


# The long modes of the proofs in docs/reliability.md: `BILTEN_LONG=1 pytest <module>`.
LONG = os.environ.get("BILTEN_LONG", "").lower() in {"1", "true", "yes"}

# What the proofs measured in this run (inputs tried, requests made, memory), printed at the
# end of the run under "figures" so docs/reliability.md can quote them.
FIGURES: list[str] = []


def quick_or_long(quick: int, long: int) -> int:
    """``long`` under BILTEN_LONG=1, else ``quick``."""
    return long if LONG else quick


def figure(proof: str, **values: object) -> None:
    FIGURES.append(f"{proof}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


class TcpRelay:
    """A TCP relay from a loopback port to ``target_port``: the network between two tiers.
    ``cut()`` closes it and every connection through it, mid-request or not, the way a pulled
    cable or a dead switch looks to both ends; ``restore()`` listens on the same port again."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = free_port()
        self.cuts = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> TcpRelay:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        with self._lock:
            doomed = [*self._sockets, *([self._listener] if self._listener else [])]
            self._sockets.clear()
            self._listener = None
            self.cuts += 1
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection((self.target_host, self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def captured_logs(level: str = "debug", secrets: Iterable[str] = ()) -> Iterator[io.StringIO]:
    """This process's log lines as the servers write them (JSON, ``level`` and up, without
    ``secrets``), into a buffer; every logger is put back as it was afterwards."""
    import structlog

    from shared.logs import configure_logging

    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(lg, lg.level, lg.propagate, lg.handlers[:]) for lg in loggers]
    stream = io.StringIO()
    configure_logging(json_lines=True, level=level, secrets=secrets, stream=stream)
    try:
        yield stream
    finally:
        for logger, old_level, propagate, handlers in saved:
            logger.setLevel(old_level)
            logger.propagate = propagate
            logger.handlers[:] = handlers
        known = {id(lg) for lg in loggers}
        for logger in list(logging.root.manager.loggerDict.values()):
            if isinstance(logger, logging.Logger) and id(logger) not in known:
                logger.setLevel(logging.NOTSET)  # made while captured: back to inheriting
        structlog.reset_defaults()


def json_lines(text: str) -> list[dict[str, Any]]:
    """Each line of a JSON log as an object; fails on a line that is not one."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
