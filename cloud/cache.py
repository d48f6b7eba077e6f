"""A small cache for public event pages: Redis when configured, in-process otherwise.

How a handler uses it
---------------------
The app keeps one :class:`Cache` in ``app.state.cache``; handlers receive it as the ``cache``
dependency (``cloud.deps.PageCache``). A public page renders through :func:`cached`::

    @get("/events/{event_id:int}", sync_to_thread=True)
    def event_page(self, event_id: int, cache: PageCache, db: Db) -> Response[bytes]:
        html = cached(cache, event_page_key(event_id), EVENT_PAGE_TTL_S,
                      lambda: render_event_page(db, event_id))
        return Response(html, media_type=MediaType.HTML)

An entry is as old as its TTL at most, and that is how stale a public page may be: the same
time its ``Cache-Control`` lets browsers and a CDN keep it (``cloud.web.responses``), so an
organizer's edit or an admin's takedown shows everywhere within it. A writer that must show at
once anyway (the entries here, not the copies downstream) can call :func:`invalidate_event` or
:func:`invalidate_listings` after its commit; no writer does so today. Only cache what every
visitor may see alike: never a page carrying a buyer's cart, order or session.

Values are bytes (rendered HTML or JSON). Keys are plain strings under the deployment's prefix.

When Redis is unreachable the cache behaves as empty: reads miss, writes and deletes are
skipped, pages are rendered fresh. A deletion lost during an outage leaves a stale entry for
at most its TTL, which is why public pages use short TTLs (:data:`EVENT_PAGE_TTL_S`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from cloud.redis_client import REDIS_DOWN_ERRORS, Breaker

if TYPE_CHECKING:
    from redis import Redis

EVENT_PAGE_TTL_S = 30.0
EVENT_LISTING_TTL_S = 30.0
_EVENT_PREFIX = "event:"
_LISTING_PREFIX = "listing:"


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key starting with ``prefix``; returns how many went."""
        ...


class MemoryCache:
    """Entries in this process: thread-safe, expiring, at most ``max_entries`` (least recently
    used go first)."""

    def __init__(self, max_entries: int = 1024, clock: Callable[[], float] | None = None) -> None:
        self._max_entries = max_entries
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        with self._lock:
            doomed = [key for key in self._entries if key.startswith(prefix)]
            for key in doomed:
                del self._entries[key]
            return len(doomed)


class RedisCache:
    """Entries in Redis, shared by every API process; an unreachable Redis is an empty cache."""

    def __init__(
        self, redis: Redis, prefix: str = "bilten", clock: Callable[[], float] | None = None
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:cache:"
        self.breaker = Breaker("the page cache", clock=clock)

    def get(self, key: str) -> bytes | None:
        if not self.breaker.closed:
            return None
        try:
            value = self._redis.get(self._prefix + key)
        except REDIS_DOWN_ERRORS as exc:
            self.breaker.failed(exc)
            return None
        self.breaker.succeeded()
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        if not self.breaker.closed:
            return
        try:
            self._redis.set(self._prefix + key, value, px=max(1, round(ttl_s * 1000)))
        except REDIS_DOWN_ERRORS as exc:
            self.breaker.failed(exc)
            return
        self.breaker.succeeded()

    def delete(self, key: str) -> None:
        try:
            self._redis.delete(self._prefix + key)
        except REDIS_DOWN_ERRORS as exc:
            self.breaker.failed(exc)
            return
        self.breaker.succeeded()

    def delete_prefix(self, prefix: str) -> int:
        """SCAN + UNLINK: never blocks Redis the way KEYS would, at the cost of walking the
        keyspace; fine for the handful of invalidations an organizer's edit causes."""
        pattern = _glob_escape(self._prefix + prefix) + "*"
        deleted = 0
        try:
            batch: list[bytes] = []
            for key in self._redis.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += int(self._redis.unlink(*batch))
                    batch.clear()
            if batch:
                deleted += int(self._redis.unlink(*batch))
        except REDIS_DOWN_ERRORS as exc:
            self.breaker.failed(exc)
            return deleted
        self.breaker.succeeded()
        return deleted


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class _Flight:
    __slots__ = ("done", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: bytes | None = None


class _SingleFlight:
    """Concurrent misses of one key in this process wait for the first one's value instead
    of each producing it: in an on-sale's first second every buyer asks for the same page
    while it is not cached yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[tuple[int, str], _Flight] = {}

    def run(self, cache: Cache, key: str, produce: Callable[[], bytes]) -> bytes:
        slot = (id(cache), key)
        with self._lock:
            flight = self._flights.get(slot)
            leading = flight is None
            if flight is None:
                flight = self._flights[slot] = _Flight()
        if not leading:
            flight.done.wait()
            # None: the first one failed, and its error went to its own caller.
            return flight.value if flight.value is not None else produce()
        try:
            flight.value = produce()
            return flight.value
        finally:
            with self._lock:
                del self._flights[slot]
            flight.done.set()


_flights = _SingleFlight()


def cached(cache: Cache, key: str, ttl_s: float, produce: Callable[[], bytes]) -> bytes:
    """The cached value of ``key``, or ``produce()``'s, stored for ``ttl_s`` seconds."""
    value = cache.get(key)
    if value is not None:
        return value

    def fill() -> bytes:
        fresh = produce()
        cache.set(key, fresh, ttl_s)
        return fresh

    return _flights.run(cache, key, fill)


def event_page_key(event_id: int, variant: str = "") -> str:
    """The key of an event's public page; ``variant`` tells apart renderings of the same event
    (a language, a format), and all of them go with :func:`invalidate_event`."""
    return f"{_EVENT_PREFIX}{event_id}:{variant}"


def listing_key(query: str = "", page: int = 1) -> str:
    """The key of a page of the public event listing, for a search ``query``."""
    return f"{_LISTING_PREFIX}{page}:{query.strip().lower()}"


def invalidate_event(cache: Cache, event_id: int) -> None:
    """Forget every cached rendering of one event's page, and the listings that show it."""
    cache.delete_prefix(f"{_EVENT_PREFIX}{event_id}:")
    invalidate_listings(cache)


def invalidate_listings(cache: Cache) -> None:
    """Forget every cached page of the public event listing."""
    cache.delete_prefix(_LISTING_PREFIX)
