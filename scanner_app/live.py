"""The gate's live link to its venue server: other gates' scans within moments of being made.

:class:`LiveClient` holds the venue's live feed open (``GET /api/v1/live``, Server-Sent Events;
docs/protocol.md, "Live feed") and stores each batch of scans the moment it arrives, exactly as
a sync round's feed pull would (``Store.add_feed_scans`` moves the feed cursor with the scans),
so the polling sync finds nothing left to fetch. A ``manifest`` event means the venue's tickets
changed (a refund, a cancellation): the gate should pull the manifest now.

Losing the venue is normal at a gate. The client reconnects with exponential backoff and
jitter, resumes from the feed cursor stored with the last batch (so it loses and repeats
nothing), reports connected/disconnected through a callback, and never raises out of
:meth:`LiveClient.run`. It has no Qt; ``scanner_app.ui.live_worker`` runs it on a QThread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from scanner_app.errors import ScannerError, VenueRefused
from scanner_app.store import FEED_CURSOR, MANIFEST_CURSOR, DeviceConfig, Store
from scanner_app.sync import API
from scanner_app.sync import _detail as venue_detail
from shared.clock import Hlc, HybridClock, wall_clock_ms
from shared.errors import ProtocolError
from shared.messages import ManifestChanged, ScanFeed, decode

log = logging.getLogger(__name__)

# Three of the venue's 15-second heartbeats missed: the connection is dead, start again.
READ_TIMEOUT = 45.0
# A connection that lasted this long was a good one: the next retry starts from short again.
STABLE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One Server-Sent Event: its type (``message`` when unnamed), data and last event id."""

    event: str
    data: str
    id: str | None = None


@dataclass(slots=True)
class SseParser:
    """Turns the lines of a ``text/event-stream`` into events, per the WHATWG rules: comments
    and unknown fields are skipped, ``data`` lines join with newlines, a blank line ends an
    event, and the last event id carries over to later events that do not set one."""

    last_id: str | None = None
    _event: str = ""
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> SseEvent | None:
        """Take one line (without its line ending); returns the event a blank line ends."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_id = value
        return None

    def _dispatch(self) -> SseEvent | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SseEvent(event or "message", "\n".join(data), self.last_id)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between reconnects: doubling from ``base`` up to ``cap`` seconds, each drawn
    between half and all of that, so gates that lost the venue together do not all return in
    the same instant."""

    base: float = 0.5
    cap: float = 10.0

    def delay(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(max(failures - 1, 0), 32))
        return ceiling * (0.5 + 0.5 * draw())


def _ignore(*_: object) -> None:
    return None


class LiveClient:
    """Keeps one gate's store fed from its venue's live feed until :meth:`stop`.

    ``on_scans(n)`` is called after ``n`` scans from other gates were stored, ``on_manifest()``
    when the venue's tickets moved past what this gate holds, ``on_connected(up)`` when the
    feed comes up or goes down. All three are called on the thread running :meth:`run`.
    """

    def __init__(
        self,
        store: Store,
        clock: HybridClock | None = None,
        *,
        on_scans: Callable[[int], None] = _ignore,
        on_manifest: Callable[[], None] = _ignore,
        on_connected: Callable[[bool], None] = _ignore,
        backoff: Backoff | None = None,
        read_timeout: float = READ_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_scans = on_scans
        self._on_manifest = on_manifest
        self._on_connected = on_connected
        self._backoff = backoff or Backoff()
        self._timeout = httpx.Timeout(5.0, read=read_timeout)
        self._transport = transport
        self._lock = threading.Lock()
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._up_since = 0.0

    @property
    def connected(self) -> bool:
        return self._connected

    def run(self) -> None:
        """Follow the feed until :meth:`stop`; blocks the calling thread, never raises."""
        try:
            asyncio.run(self._main())
        except RuntimeError:
            log.exception("the live feed could not start")

    def stop(self) -> None:
        """End :meth:`run` promptly; safe from any thread, before or during the run."""
        with self._lock:
            self._stopped = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended: so has the run
                loop.call_soon_threadsafe(task.cancel)

    async def _main(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as http:
                await self._follow(http)
        except asyncio.CancelledError:
            pass  # stop() asked for it
        finally:
            self._set_connected(False)
            with self._lock:
                self._loop = self._task = None

    async def _follow(self, http: httpx.AsyncClient) -> None:
        failures = 0
        while True:
            refused = await self._session(http)
            stable = self._connected and time.monotonic() - self._up_since >= STABLE_SECONDS
            self._set_connected(False)
            failures = 1 if stable else failures + 1
            await asyncio.sleep(self._backoff.cap if refused else self._backoff.delay(failures))

    async def _session(self, http: httpx.AsyncClient) -> bool:
        """One connection, until it ends; returns whether to wait long before the next (not
        paired, or the venue refused us: a quick retry would get the same answer)."""
        try:
            device = self._store.device()
            if device is None:
                return True  # pairing may happen while the gate runs
            await self._listen(http, device)
        except VenueRefused as exc:
            log.warning("live feed refused: %s", exc)
            return True
        except httpx.TransportError as exc:
            log.info("live feed interrupted: %s", exc or type(exc).__name__)
        except ProtocolError as exc:
            log.warning("live feed sent something unusable, reconnecting: %s", exc)
        except ScannerError as exc:
            log.error("live feed could not use the local database: %s", exc)
        except Exception:
            # The gate keeps scanning without the feed; the next connection may well work.
            log.exception("live feed failed, reconnecting")
        return False

    async def _listen(self, http: httpx.AsyncClient, device: DeviceConfig) -> None:
        headers = {
            "Authorization": f"Bearer {device.device_token}",
            "Accept": "text/event-stream",
            # The venue's dashboard reads these on every request (docs/protocol.md).
            "X-Bilten-Device-Time": str(wall_clock_ms()),
            "X-Bilten-Manifest": self._store.cursor(MANIFEST_CURSOR),
        }
        params = {"cursor": self._store.cursor(FEED_CURSOR)}
        url = f"{device.venue_url}{API}/live"
        async with http.stream("GET", url, params=params, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                raise VenueRefused(response.status_code, venue_detail(response))
            self._set_connected(True)
            parser = SseParser()
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None:
                    self._handle(event)

    def _handle(self, event: SseEvent) -> None:
        if event.event == "scans":
            feed = decode(event.data, ScanFeed)
            if self._clock is not None:
                for record in feed.scans:
                    self._clock.observe(Hlc.parse(record.hlc))
            stored = self._store.add_feed_scans(feed.scans, feed.next_cursor)
            if stored:
                self._on_scans(stored)
        elif event.event == "manifest":
            change = decode(event.data, ManifestChanged)
            if change.next_cursor != self._store.cursor(MANIFEST_CURSOR):
                self._on_manifest()
        # Other event types are for newer gates; this one skips them.

    def _set_connected(self, up: bool) -> None:
        if up != self._connected:
            self._connected = up
            self._up_since = time.monotonic()
            self._on_connected(up)
