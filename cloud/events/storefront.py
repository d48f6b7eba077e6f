"""The storefront of an event as this API process read it a moment ago.

In a popular on-sale every buyer reads the event's storefront before holding, a thousand
times a second for one event. Each API process keeps what it read for ``ttl_s`` (one second
by default, ``BILTEN_STOREFRONT_CACHE_S``) and answers from memory, on the event loop, without
a thread, a session or a query; buyers who ask while it reads wait for that one read rather
than each starting their own. The seats left are then up to ``ttl_s`` old, as they would be a
moment after any read: a hold is what counts, and it is refused when the seats are gone.
Drafts and hidden events are answered as missing in the same way, so a takedown shows within
``ttl_s`` too (the public HTML page is kept longer, cloud.web.responses). With ``ttl_s`` 0
every request reads afresh.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

from litestar.concurrency import sync_to_thread

from cloud.events.schemas import Storefront

# Events remembered at most, the least recently read forgotten first: callers choose the
# event ids, so what they can make this process keep must be bounded.
MAX_EVENTS = 10_000

Read = Callable[[int], Storefront | None]


class StorefrontCache:
    """``read(event_id)`` (blocking: run in a worker thread) answers a miss: the storefront,
    or None for an event buyers cannot see. Used from one event loop only."""

    def __init__(
        self,
        read: Read,
        ttl_s: float,
        *,
        max_events: int = MAX_EVENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._ttl_s = ttl_s
        self._max_events = max_events
        self._clock = clock
        self._entries: OrderedDict[int, tuple[float, Storefront | None]] = OrderedDict()
        self._reading: dict[int, asyncio.Task[Storefront | None]] = {}

    async def get(self, event_id: int) -> Storefront | None:
        entry = self._entries.get(event_id)
        if entry is not None and self._clock() < entry[0]:
            self._entries.move_to_end(event_id)
            return entry[1]
        reading = self._reading.get(event_id)
        if reading is None:
            reading = asyncio.ensure_future(self._fill(event_id))
            reading.add_done_callback(_retrieve)
            self._reading[event_id] = reading
        # Shielded: a buyer who hangs up does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _fill(self, event_id: int) -> Storefront | None:
        try:
            front = await sync_to_thread(self._read, event_id)
        finally:
            del self._reading[event_id]
        if self._ttl_s > 0:
            self._remember(event_id, front)
        return front

    def _remember(self, event_id: int, front: Storefront | None) -> None:
        self._entries[event_id] = (self._clock() + self._ttl_s, front)
        self._entries.move_to_end(event_id)
        while len(self._entries) > self._max_events:
            self._entries.popitem(last=False)


def _retrieve(task: asyncio.Task[Storefront | None]) -> None:
    """A failed read whose every asker hung up is not reported as never retrieved: each
    asker still waiting got the error, and the request log has their answers."""
    if not task.cancelled():
        task.exception()
