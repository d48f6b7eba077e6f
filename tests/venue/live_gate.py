"""A gate on the venue's live feed, as a test drives it: a raw SSE stream read on its own
thread into a queue of events."""

from __future__ import annotations

import queue
import threading
import time

import httpx

from scanner_app.live import READ_TIMEOUT, SseEvent, SseParser
from shared.messages import ScanFeed, decode

WAIT = 20.0  # generous: "eventually", never a latency claim


class Gate:
    """One gate's open live stream, read on its own thread into a queue of events."""

    def __init__(self, url: str, token: str, cursor: str | None = None, **headers: str) -> None:
        self.events: queue.Queue[SseEvent | None] = queue.Queue()
        self.status: int | None = None
        self.body = b""
        self._stop = threading.Event()
        self._connected = threading.Event()
        params = {} if cursor is None else {"cursor": cursor}
        headers = {"Authorization": f"Bearer {token}", **headers}
        self._thread = threading.Thread(target=self._read, args=(url, params, headers), daemon=True)
        self._thread.start()
        assert self._connected.wait(WAIT), "the live stream did not answer"

    def _read(self, url: str, params: dict[str, str], headers: dict[str, str]) -> None:
        parser = SseParser()
        # Tests give the venue a short heartbeat, so reads return often enough to notice
        # close().
        with (
            # Patient like a real gate: it is the venue that ends a stream, never the reader.
            httpx.Client(base_url=url, timeout=httpx.Timeout(10, read=READ_TIMEOUT)) as http,
            http.stream("GET", "/api/v1/live", params=params, headers=headers) as response,
        ):
            self.status = response.status_code
            if response.status_code != 200:
                self.body = response.read()
                self._connected.set()
                return
            self._connected.set()
            try:
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    event = parser.feed(line)
                    if event is not None:
                        self.events.put(event)
            except httpx.TransportError:
                pass  # the venue cut the stream: what some tests are waiting for
            finally:
                self.events.put(None)  # the stream ended

    def next(self, kind: str) -> SseEvent:
        """The next event of type ``kind``, skipping others; fails if the stream ends first."""
        deadline = time.monotonic() + WAIT
        while True:
            event = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            assert event is not None, f"the stream ended while waiting for a {kind} event"
            if event.event == kind:
                return event

    def scans_until(self, wanted: set[str]) -> list[tuple[str, str]]:
        """(event id, scan id) for every scan received, until all of ``wanted`` arrived."""
        received: list[tuple[str, str]] = []
        while not wanted <= {scan_id for _, scan_id in received}:
            event = self.next("scans")
            feed = decode(event.data, ScanFeed)
            assert event.id == feed.next_cursor
            received += [(str(event.id), record.scan_id) for record in feed.scans]
        return received

    def ended(self) -> bool:
        """Whether the venue ended the stream (waits for it, up to WAIT)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                if self.events.get(timeout=0.1) is None:
                    return True
            except queue.Empty:
                continue
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)
