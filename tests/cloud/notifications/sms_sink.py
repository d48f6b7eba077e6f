"""A local SMS provider for the tests: a real HTTP server (the standard library's) on
loopback that speaks the JSON API cloud.notifications.sms posts to, keeps every request it
got, and answers with the replies a test queued (200 once they run out)."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cloud.notifications.config import SmsSettings

TOKEN = "sms-token-never-logged-0123456789"
SENDER = "BiltenTix"


@dataclass(frozen=True)
class TextRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    # What the sink answered it.
    status: int


@dataclass
class SmsSink:
    """What the provider received, and what it answers next: (status, body) pairs."""

    received: list[TextRequest] = field(default_factory=list)
    replies: deque[tuple[int, str]] = field(default_factory=deque)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/messages"

    def settings(self, token: str = TOKEN) -> SmsSettings:
        return SmsSettings(url=self.url, token=token, sender=SENDER, timeout_s=10)

    @property
    def accepted(self) -> list[TextRequest]:
        """The requests answered 2xx, in order."""
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]


def _handler(sink: SmsSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with sink.lock:
                status, body = sink.replies.popleft() if sink.replies else (200, "{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                sink.received.append(
                    TextRequest(self.path, headers, json.loads(raw or b"{}"), status)
                )
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_sms_sink() -> Iterator[SmsSink]:
    sink = SmsSink()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sink))
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
