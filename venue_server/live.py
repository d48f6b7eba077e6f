"""The live feed: every scan the venue stores, pushed to every connected gate at once.

``GET /api/v1/live`` is a Server-Sent Events stream (docs/protocol.md, "Live feed"). It first
sends everything after the client's cursor, exactly as the paged scan feed would, then each
new batch the moment the venue has committed it, and a ``manifest`` event whenever the venue's
tickets change (revocations pulled from the cloud), so gates pull the manifest now rather than
at their next poll.

One :class:`LiveHub` per app reads each new batch from the store once, encodes it once and
hands the same bytes to every stream. Each stream has its own bounded queue: a gate that stops
reading is cut off when its queue is full, and catches up from its cursor when it reconnects,
so it neither slows the other gates nor grows the server's memory.

Threads: the hub lives on the server's event loop. Scan intake (a worker thread) wakes it
through :mod:`venue_server.relay`'s watchers, the cloud sync job (its scheduler thread) through
the callback the app gives it, and the dashboard's revoke ends a device's streams; all of them
hop onto the loop with ``call_soon_threadsafe``, and store reads run on worker threads. A timer
also looks at the store every ``watch`` seconds, which catches changes nobody announced
(another process writing the same file).

Stopping: a stream never ends by itself, and the HTTP server waits for open responses before
it stops, so whoever runs the app calls :meth:`LiveHub.end_all` (through :func:`end_streams`)
the moment a stop begins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Stream

from shared.messages import ManifestChanged, ScanFeed, ScanRecord, encode
from venue_server import pairing, relay
from venue_server.dashboard.devices import Heartbeat, note_request
from venue_server.errors import DeviceUnauthorized
from venue_server.store import Device, VenueStore

if TYPE_CHECKING:
    from venue_server.app import VenueServices

log = logging.getLogger(__name__)

_HUB_KEY = "live_hub"
# Tells a browser's EventSource how soon to reconnect; our own gates use their own backoff.
_RETRY = b"retry: 2000\n\n"
_HEARTBEAT = b": keep-alive\n\n"
# A stream ends only to be opened again from its cursor (cut off, revoked): close the
# connection with it rather than keep an idle one around.
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "close"}

Cursor = Annotated[
    str,
    QueryParameter(
        max_length=64,
        description="next_cursor (or event id) the gate holds; empty: from the start. "
        "A Last-Event-ID header, when present, wins.",
    ),
]


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """How the live feed paces itself; the defaults suit a venue, tests shorten them.

    ``heartbeat``: seconds of silence before a keep-alive comment, so gates and proxies see a
    dead connection. ``recheck``: how often an open stream checks its device token again, so a
    device revoked from another process loses its stream. ``watch``: how often the store is
    looked at for changes nobody announced. ``max_queued_bytes``: how far one gate may fall
    behind before it is cut off. ``close_grace``: how long a cut-off stream may take to end by
    itself before its connection is closed under it.
    """

    heartbeat: float = 15.0
    recheck: float = 15.0
    watch: float = 1.0
    max_queued_bytes: int = 1 << 20
    close_grace: float = 5.0


def _event(kind: str, data: bytes, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    # msgspec writes JSON on one line, so the data needs no splitting.
    return f"{head}event: {kind}\n".encode() + b"data: " + data + b"\n\n"


@dataclass(frozen=True, slots=True)
class ScanChunk:
    """The feed's scans with seq in (``after``, ``last``], as one ready-to-send event."""

    after: int
    last: int
    rows: list[tuple[int, ScanRecord]]
    has_more: bool
    payload: bytes

    @classmethod
    def of(cls, after: int, rows: list[tuple[int, ScanRecord]], has_more: bool) -> ScanChunk:
        last = rows[-1][0]
        feed = ScanFeed(next_cursor=str(last), has_more=has_more, scans=[r for _, r in rows])
        return cls(after, last, rows, has_more, _event("scans", encode(feed), last))

    def after_cursor(self, cursor: int) -> ScanChunk:
        """This chunk without the scans a gate at ``cursor`` already has."""
        if cursor <= self.after:
            return self
        return ScanChunk.of(cursor, [row for row in self.rows if row[0] > cursor], self.has_more)


@dataclass(frozen=True, slots=True)
class ManifestNotice:
    cursor: int
    payload: bytes

    @classmethod
    def of(cls, cursor: int) -> ManifestNotice:
        return cls(cursor, _event("manifest", encode(ManifestChanged(next_cursor=str(cursor)))))


Item = ScanChunk | ManifestNotice


def read_chunk(store: VenueStore, after: int, limit: int = relay.MAX_PAGE) -> ScanChunk | None:
    """The next page of the feed after ``after``, or None when there is nothing newer."""
    rows, has_more = store.scans_after(after, limit)
    return ScanChunk.of(after, rows, has_more) if rows else None


class Subscriber:
    """One open stream: its device, the feed cursor it has sent up to, its bounded queue, and
    whether it has been cut off."""

    def __init__(self, device: Device, cursor: int, max_bytes: int) -> None:
        self.device = device
        self.cursor = cursor
        self.since = time.time()
        self.task: asyncio.Task[Any] | None = None
        self.closed_because: str | None = None
        self._max_bytes = max_bytes
        self._items: deque[Item] = deque()
        self._bytes = 0
        self._arrived = asyncio.Event()

    def offer(self, item: Item) -> bool:
        """Queue ``item``; False if that would put this gate too far behind. One item always
        fits in an empty queue: a page of the feed is bounded anyway."""
        if self._items and self._bytes + len(item.payload) > self._max_bytes:
            return False
        self._items.append(item)
        self._bytes += len(item.payload)
        self._arrived.set()
        return True

    def close(self, reason: str) -> None:
        self.closed_because = reason
        self._items.clear()
        self._bytes = 0
        self._arrived.set()

    def abort(self) -> None:
        """Cut the connection of a stream that did not end after ``close`` (its gate stopped
        reading, so the stream is stuck writing to it)."""
        if self.task is not None and not self.task.done():
            log.warning("closing the stuck live stream of device %s", self.device.device_id)
            self.task.cancel()

    async def next(self, timeout: float) -> Item | None:
        """The next queued item, or None after ``timeout`` seconds without one or once closed."""
        if not self._items and self.closed_because is None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._arrived.wait()
        self._arrived.clear()
        if not self._items:
            return None
        item = self._items.popleft()
        self._bytes -= len(item.payload)
        if self._items:
            self._arrived.set()
        return item


class LiveHub:
    """Fans one venue store's new scans and manifest changes out to every open stream."""

    def __init__(
        self,
        store: VenueStore,
        settings: LiveSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings or LiveSettings()
        self._clock = clock
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pump: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._wake = asyncio.Event()
        self._scans_due = False
        self._manifest_due = False
        self._scan_head = 0
        self._manifest_head = 0
        self._closing = False
        relay.watch(store, self)

    # -- relay.FeedWatcher: called from any thread -----------------------------------------

    def scans_stored(self) -> None:
        self._from_any_thread(self._due, True, False)

    def manifest_changed(self) -> None:
        self._from_any_thread(self._due, False, True)

    def disconnect_device(self, device_id: str) -> None:
        """End the open streams of ``device_id`` now (call it after revoking the device); its
        next connection is refused by the token check."""
        self._from_any_thread(self._disconnect_device, device_id)

    def end_all(self) -> None:
        """End every stream, and any opened until :meth:`reopen`, at once: the server is
        stopping.

        Uvicorn waits for open responses before it stops, and a live stream never finishes by
        itself; call this when the stop begins (``VenueApp.begin_stop``, which
        ``venue_server.serving.VenueServer`` calls as its shutdown starts), not after, so the
        stop does not wait out its graceful-shutdown timeout.
        """
        self._closing = True
        self._from_any_thread(self._end_all)

    def reopen(self) -> None:
        """Accept streams again: the app is serving again after a stop."""
        self._closing = False

    def _from_any_thread(self, callback: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None:
            return  # no stream was ever opened: nobody to tell
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell either
            loop.call_soon_threadsafe(callback, *args)

    # -- on the event loop -----------------------------------------------------------------

    def connections(self) -> list[Subscriber]:
        """The streams open right now, e.g. for a "which gates are live" view."""
        return sorted(self._subscribers, key=lambda s: s.since)

    def subscribe(self, device: Device, cursor: int) -> Subscriber:
        subscriber = Subscriber(device, cursor, self.settings.max_queued_bytes)
        subscriber.task = asyncio.current_task()
        self._subscribers.add(subscriber)
        if self._pump is None:
            self._start_pump()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        if not self._subscribers and self._pump is not None:
            # Nobody listens: stop reading the store until somebody does.
            self._pump.cancel()
            self._pump = None

    async def ready(self) -> None:
        """Wait until the hub knows where the feed and the manifest stand."""
        await self._started.wait()

    def manifest_notice(self) -> ManifestNotice:
        return ManifestNotice.of(self._manifest_head)

    def _start_pump(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._started = asyncio.Event()
        self._wake = asyncio.Event()
        self._pump = self._loop.create_task(self._run(), name="live-feed")

    def _due(self, scans: bool, manifest: bool) -> None:
        self._scans_due = self._scans_due or scans
        self._manifest_due = self._manifest_due or manifest
        self._wake.set()

    async def _run(self) -> None:
        while not self._started.is_set():
            try:
                self._scan_head = await anyio.to_thread.run_sync(self.store.last_scan_seq)
                self._manifest_head = await anyio.to_thread.run_sync(self.store.manifest_seq)
                self._started.set()
            except Exception:  # keep trying: the streams wait for us
                log.exception("live feed cannot read the venue store; retrying")
                await asyncio.sleep(self.settings.watch)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.watch):
                    await self._wake.wait()
            if not self._wake.is_set():
                # The watch timer: look for changes nobody announced.
                self._scans_due = self._manifest_due = True
            self._wake.clear()
            try:
                await self._publish_due()
            except Exception:  # the feed must outlive one bad read
                log.exception("live feed could not read the venue store; will retry")

    async def _publish_due(self) -> None:
        if self._scans_due:
            self._scans_due = False
            while chunk := await anyio.to_thread.run_sync(read_chunk, self.store, self._scan_head):
                self._scan_head = chunk.last
                self._publish(chunk)
                if not chunk.has_more:
                    break
        if self._manifest_due:
            self._manifest_due = False
            head = await anyio.to_thread.run_sync(self.store.manifest_seq)
            if head != self._manifest_head:
                self._manifest_head = head
                self._publish(ManifestNotice.of(head))

    def _publish(self, item: Item) -> None:
        for subscriber in list(self._subscribers):
            if not subscriber.offer(item):
                self._drop(subscriber, "fell behind")

    def _disconnect_device(self, device_id: str) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.device.device_id == device_id:
                self._drop(subscriber, "device revoked", logging.INFO)

    def _end_all(self) -> None:
        for subscriber in list(self._subscribers):
            self._drop(subscriber, "the venue server is stopping", logging.DEBUG)

    def _drop(self, subscriber: Subscriber, reason: str, level: int = logging.WARNING) -> None:
        log.log(
            level,
            "ending the live stream of device %s (%s): %s; it catches up when it reconnects",
            subscriber.device.device_id,
            subscriber.device.name,
            reason,
        )
        self._subscribers.discard(subscriber)
        subscriber.close(reason)
        asyncio.get_running_loop().call_later(self.settings.close_grace, subscriber.abort)

    # -- one stream ------------------------------------------------------------------------

    async def stream(self, device: Device, cursor: int, authorization: str) -> AsyncIterator[bytes]:
        """The SSE body for ``device``, starting after ``cursor``; ends when the device is
        revoked or cut off, the server stops, or the gate goes away."""
        if self._closing:
            return  # the server is stopping: the gate comes back once it runs again
        subscriber = self.subscribe(device, cursor)
        try:
            yield _RETRY
            await self.ready()
            yield self.manifest_notice().payload
            async for payload in self._catch_up(subscriber):
                yield payload
            async for payload in self._follow(subscriber, authorization):
                yield payload
        finally:
            self.unsubscribe(subscriber)

    async def _follow(self, subscriber: Subscriber, authorization: str) -> AsyncIterator[bytes]:
        recheck_at = time.monotonic() + self.settings.recheck
        while True:
            item = await subscriber.next(self.settings.heartbeat)
            if subscriber.closed_because is not None:
                return
            if time.monotonic() >= recheck_at:
                if not await self._still_allowed(authorization):
                    return
                recheck_at = time.monotonic() + self.settings.recheck
            if item is None:
                yield _HEARTBEAT
            elif isinstance(item, ManifestNotice):
                yield item.payload
            elif item.last <= subscriber.cursor:
                continue  # already sent while catching up
            elif item.after > subscriber.cursor:
                # Scans this stream never saw (it joined between two reads): read them.
                async for payload in self._catch_up(subscriber):
                    yield payload
            else:
                yield item.after_cursor(subscriber.cursor).payload
                subscriber.cursor = item.last

    async def _catch_up(self, subscriber: Subscriber) -> AsyncIterator[bytes]:
        """Everything after the subscriber's cursor, read from the store page by page."""
        while chunk := await anyio.to_thread.run_sync(read_chunk, self.store, subscriber.cursor):
            yield chunk.payload
            subscriber.cursor = chunk.last
            if not chunk.has_more:
                return

    async def _still_allowed(self, authorization: str) -> bool:
        try:
            await anyio.to_thread.run_sync(
                pairing.authenticate, self.store, authorization, int(self._clock())
            )
        except DeviceUnauthorized as exc:
            log.info("ending a live stream: %s", exc)
            return False
        return True


def _authenticate(services: VenueServices, headers: Mapping[str, str]) -> Device:
    """The device behind the token, its connecting noted as a heartbeat, exactly as for the
    other scanner endpoints."""
    arrived_ms = int(services.clock() * 1000)
    device = pairing.authenticate(services.store, headers.get("authorization"), arrived_ms // 1000)
    note_request(services.store, device, Heartbeat.from_headers(headers), arrived_ms)
    return device


def install(app: Litestar, settings: LiveSettings | None = None) -> LiveHub:
    """Give ``app`` a live hub with ``settings``, replacing the one it has (do it before the
    app serves: streams already open stay with the old hub)."""
    services: VenueServices = app.state.services
    hub = LiveHub(services.store, settings, services.clock)
    app.state[_HUB_KEY] = hub
    return hub


def hub_of(app: Litestar) -> LiveHub:
    hub: LiveHub | None = app.state.get(_HUB_KEY)
    return hub if hub is not None else install(app)


def end_streams(app: Litestar) -> None:
    """The server is stopping: end ``app``'s live streams now, and refuse new ones until it
    serves again; safe from any thread."""
    hub: LiveHub | None = app.state.get(_HUB_KEY)
    if hub is not None:
        hub.end_all()


@get(
    "/api/v1/live",
    tags=["scanner"],
    summary="Live feed of every gate's scans (Server-Sent Events)",
    description=(
        "Every scan after `cursor` (or the Last-Event-ID header), then each new batch as the "
        "venue stores it, as `scans` events (data: a ScanFeed; id: its next_cursor). `manifest` "
        "events (data: a ManifestChanged, `{v, next_cursor}`) say where the venue's tickets "
        "stand: once at the start, then whenever they change. Comment lines keep the "
        "connection alive."
    ),
    media_type="text/event-stream",
    # Authenticated in the handler (a stream re-checks its token while open), like every
    # scanner endpoint: see venue_server.access.
    opt={"access": "device"},
)
async def live_feed(request: Request[Any, Any, Any], state: State, cursor: Cursor = "") -> Stream:
    """Authenticate the device like every scanner endpoint, then stream (docs/protocol.md,
    "Live feed")."""
    services: VenueServices = state.services
    authorization = request.headers.get("authorization") or ""
    device = await anyio.to_thread.run_sync(_authenticate, services, request.headers)
    start = relay.parse_cursor(request.headers.get("last-event-id") or cursor)
    hub = hub_of(request.app)
    return Stream(
        hub.stream(device, start, authorization), media_type="text/event-stream", headers=_HEADERS
    )
