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
