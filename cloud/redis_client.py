"""The cloud's one Redis connection pool, and a breaker that stops asking a Redis that is down.

Rate limits and the page cache both live in Redis when ``BILTEN_REDIS_URL`` is set, so several
API processes behind a load balancer share them. Neither may take the site down with it: when
Redis stops answering, each caller falls back to something local (see ``cloud.ratelimit`` and
``cloud.cache``), and the breaker keeps requests from each paying a connection timeout until
Redis is tried again a few seconds later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("bilten.cloud.redis")

# What "Redis is down" looks like to the client; other Redis errors are bugs and propagate.
REDIS_DOWN_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)

# Short, because a request waits this long before it falls back: a healthy Redis on the same
# network answers in well under a millisecond.
SOCKET_TIMEOUT_S = 0.25


def connect(url: str) -> Redis:
    """A client with its own connection pool; connecting is lazy, so a Redis that is down at
    start-up does not stop the cloud from starting."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client: Redis = Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        # One immediate retry, on a fresh connection, covers a pooled connection that died with
        # a Redis restart; anything more only delays the fallback.
        retry=Retry(NoBackoff(), 1),
    )
    return client


class Breaker:
    """Remembers that Redis was unreachable, and for how long to leave it alone."""

    def __init__(
        self, what: str, retry_after_s: float = 5.0, clock: Callable[[], float] | None = None
    ) -> None:
        self.what = what
        self.retry_after_s = retry_after_s
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._down_until: float | None = None

    @property
    def closed(self) -> bool:
        """True when Redis should be tried (it is up, or it is time to try it again)."""
        with self._lock:
            return self._down_until is None or self._clock() >= self._down_until

    def failed(self, exc: Exception) -> None:
        with self._lock:
            was_up = self._down_until is None
            self._down_until = self._clock() + self.retry_after_s
        if was_up:
            log.warning(
                "Redis is unreachable (%s); %s falls back until it answers again", exc, self.what
            )

    def succeeded(self) -> None:
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            log.warning("Redis answers again; %s uses it again", self.what)
