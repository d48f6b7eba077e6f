"""Rate limits for login, sign-up and checkout: Redis when configured, in-process otherwise.

How a handler uses it
---------------------
The app keeps one :class:`RateLimiter` in ``app.state.rate_limiter``; handlers receive it as the
``rate_limiter`` dependency and the caller's address as ``client_ip`` (see ``cloud.deps``)::

    @post("/checkout", sync_to_thread=True)
    def checkout(self, data: ..., rate_limiter: Limiter, client_ip: ClientIp) -> ...:
        # Both in one round trip; raises RateLimited -> 429 for the first refused.
        rate_limiter.enforce_each(("checkout.ip", client_ip), ("checkout.account", data.email))

``enforce`` (one rule) and ``enforce_each`` (several, in order: those after a refusal are not
counted) raise :class:`RateLimited`, which the app answers with 429, a ``Retry-After``
header and the rule's message. ``hit(action, identity) -> Decision`` (and ``hit_each``) do
the same without raising, for callers that want to decide themselves. They block on Redis
for well under a millisecond; from an ``async`` handler use
``await rate_limiter.enforce_async(...)``, or guard a whole route with
``guards=[limit_by_ip("checkout.ip")]``.

Actions and their rules live in :data:`DEFAULT_RULES`; ``CloudSettings.rate_limits`` overrides
them per deployment. The identity is hashed before it becomes a key, so no email address is
stored in Redis.

Algorithm: GCRA
---------------
Each (action, identity) is one generic cell rate algorithm bucket: a single timestamp, the
"theoretical arrival time", updated by one Lua script, so concurrent API processes never race
and a key costs one small string in Redis whatever the limit. A fixed window lets a client send
twice the limit around the window edge; a sliding log stores every hit. GCRA allows a burst of
``limit`` requests, then one every ``period / limit`` seconds, and says exactly when the next
request will be allowed — the ``Retry-After`` a client needs.

When Redis is unreachable
-------------------------
Each rule says what happens (:class:`WhenStoreDown`); every default rule uses ``LOCAL``, a
per-process in-memory limiter, because neither extreme is safe:

* login — failing closed locks every user out, so anyone who can upset Redis can deny service;
  failing open hands password guessers an unthrottled window. Local limits stay close to the
  intended one (one budget per API process).
* sign-up — failing open during an outage invites a burst of throwaway accounts; closed would
  turn new buyers away during an on-sale.
* checkout — closed loses sales exactly when traffic peaks; open lets bots hammer the stock
  (never oversold, but held away from real buyers). Local keeps buyers buying and bots slow.

A breaker (``cloud.redis_client.Breaker``) sends requests straight to the fallback for a few
seconds after a failure, then tries Redis again.

Who is calling
--------------
:func:`client_ip` is the peer address of the connection. ``X-Forwarded-For`` is believed only
when the peer is one of ``BILTEN_TRUSTED_PROXIES`` (CIDRs): otherwise any client could choose
its own identity and escape every per-address limit. IPv6 clients count per /64, the block one
subscriber usually gets.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar import Request, Response
from litestar.connection import ASGIConnection

from cloud.errors import CloudError
from cloud.redis_client import REDIS_DOWN_ERRORS, Breaker
from shared.request_log import Scope, header, peer_host

if TYPE_CHECKING:
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Guard
    from redis import Redis

log = logging.getLogger("bilten.cloud.ratelimit")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class WhenStoreDown(StrEnum):
    """What a rule does while Redis is unreachable."""

    LOCAL = "local"  # limit in this process alone
    OPEN = "open"  # allow everything
    CLOSED = "closed"  # refuse everything


@dataclass(frozen=True, slots=True)
class Rule:
    """At most ``limit`` requests at once, refilled evenly over ``period_s`` seconds."""

    limit: int
    period_s: float
    message: str
    when_store_down: WhenStoreDown = WhenStoreDown.LOCAL

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period_s <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period_s > 0")

    @property
    def interval_ms(self) -> int:
        """The time one request's budget takes to come back."""
        return max(1, round(self.period_s * 1000 / self.limit))

    @property
    def period_ms(self) -> int:
        return self.interval_ms * self.limit


DEFAULT_RULES: Mapping[str, Rule] = {
    # Offices and mobile carriers put many people behind one address: generous per address,
    # strict per account, where password guessing concentrates.
    "login.ip": Rule(30, 60, "Too many login attempts from your network"),
    "login.account": Rule(10, 300, "Too many login attempts for this account"),
    "signup.ip": Rule(10, 3600, "Too many new accounts from your network"),
    # Each reset request sends an email: a few per account keep a mailbox from being flooded.
    "password_reset.ip": Rule(20, 3600, "Too many password reset requests from your network"),
    "password_reset.account": Rule(3, 3600, "Too many password reset emails for this account"),
    "verify_email.account": Rule(3, 3600, "Too many confirmation emails for this account"),
    # Each code is a text message that costs money; guessing one of a million needs tries.
    "phone_code.account": Rule(3, 3600, "Too many codes sent to this account; try later"),
    "phone_confirm.account": Rule(5, 600, "Too many wrong codes; wait a little, then try again"),
    # Each ask emails tickets to the address: a few per address, as for password resets.
    "tickets_again.ip": Rule(20, 3600, "Too many requests for lost tickets from your network"),
    "tickets_again.address": Rule(3, 3600, "Too many emails of tickets to this address"),
    # Joining a waiting list queues nothing at once, but each address is emailed later.
    "waitlist.ip": Rule(30, 3600, "Too many waiting-list requests from your network"),
    "waitlist.address": Rule(5, 3600, "Too many waiting-list requests for this address"),
    "checkout.ip": Rule(60, 60, "Too many checkouts from your network"),
    "checkout.account": Rule(20, 60, "Too many checkouts for this email address"),
}


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: float  # 0 when allowed

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, rounded up and at least 1, as the ``Retry-After`` header wants."""
        return str(max(1, math.ceil(self.retry_after_s)))


class RateLimited(CloudError):
    """Over a rate limit; answered with 429 and ``Retry-After``."""

    status_code = 429

    def __init__(self, rule: Rule, decision: Decision) -> None:
        self.decision = decision
        wait = decision.retry_after_header
        super().__init__(f"{rule.message}. Please wait {wait} seconds and try again.")


def rate_limited_response(request: Request[Any, Any, Any], exc: RateLimited) -> Response[Any]:
    """The app's handler for :class:`RateLimited`."""
    del request
    body = {
        "status_code": exc.status_code,
        "detail": exc.detail,
        "retry_after_s": int(exc.decision.retry_after_header),
    }
    return Response(
        body,
        status_code=exc.status_code,
        headers={"Retry-After": exc.decision.retry_after_header},
    )


# --- the algorithm, once in Python and once in Lua ------------------------------------------


def _gcra(tat_ms: int | None, now_ms: int, rule: Rule) -> tuple[Decision, int | None]:
    """The decision, and the new theoretical arrival time to store (None: store nothing)."""
    tat = now_ms if tat_ms is None or tat_ms < now_ms else tat_ms
    new_tat = tat + rule.interval_ms
    allow_at = new_tat - rule.period_ms
    if now_ms < allow_at:
        return Decision(False, rule.limit, 0, (allow_at - now_ms) / 1000), None
    remaining = (rule.period_ms - (new_tat - now_ms)) // rule.interval_ms
    return Decision(True, rule.limit, remaining, 0.0), new_tat


# The same arithmetic as _gcra. Without a client clock it reads the Redis server's clock, so API
# processes on hosts whose clocks drift apart still agree.
# KEYS: the buckets, in order; ARGV: now (ms, or "" for the server's clock), then each
# bucket's interval and period (ms). Counts one request in each bucket until one refuses;
# returns (allowed, retry_ms, remaining) for each bucket it looked at.
_GCRA_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local out = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local period = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if not tat or tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then
    table.insert(out, 0)
    table.insert(out, allow_at - now)
    table.insert(out, 0)
    return out
  end
  redis.call('SET', KEYS[i], new_tat, 'PX', new_tat - now)
  table.insert(out, 1)
  table.insert(out, 0)
  table.insert(out, math.floor((period - (new_tat - now)) / interval))
end
return out
"""


class MemoryLimitStore:
    """Buckets in this process: thread-safe, bounded, forgetting buckets that have refilled."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._tats: OrderedDict[str, int] = OrderedDict()

    def hit(self, key: str, rule: Rule, now_ms: int) -> Decision:
        with self._lock:
            decision, new_tat = _gcra(self._tats.get(key), now_ms, rule)
            if new_tat is not None:
                self._tats[key] = new_tat
                self._tats.move_to_end(key)
                self._forget(now_ms)
            return decision

    def _forget(self, now_ms: int) -> None:
        """Drop full buckets from the least recently hit end; past the size cap, drop the least
        recently hit anyway (it can only make a limit more lenient, never stricter)."""
        while self._tats:
            key, tat = next(iter(self._tats.items()))
            if tat > now_ms and len(self._tats) <= self._max_keys:
                return
            del self._tats[key]


class RedisLimitStore:
    """Buckets in Redis, shared by every API process; raises a ``REDIS_DOWN_ERRORS`` error when
    Redis is unreachable."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_GCRA_LUA)

    def hit_each(self, buckets: Sequence[tuple[str, Rule]], now_ms: int | None) -> list[Decision]:
        """One request counted in each (key, rule) bucket, in one round trip, until one
        refuses; the decisions made. (Every key goes to one script: one Redis, not a
        cluster.)"""
        args: list[int | str] = ["" if now_ms is None else str(now_ms)]
        for _key, rule in buckets:
            args += [rule.interval_ms, rule.period_ms]
        flat = self._script(keys=[key for key, _rule in buckets], args=args)
        return [
            Decision(bool(flat[i]), rule.limit, int(flat[i + 2]), int(flat[i + 1]) / 1000)
            for i, (_key, rule) in zip(range(0, len(flat), 3), buckets, strict=False)
        ]


class RateLimiter:
    """Rules by action name over one store, with an in-process fallback for Redis outages."""

    def __init__(
        self,
        rules: Mapping[str, Rule],
        redis: Redis | None = None,
        prefix: str = "bilten",
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``clock`` (seconds) is for tests; by default buckets follow the Redis server's clock,
        or this process's monotonic clock without Redis."""
        self.rules = dict(rules)
        self._prefix = f"{prefix}:rl:"
        self._clock = clock
        self._redis = RedisLimitStore(redis) if redis is not None else None
        self._local = MemoryLimitStore()
        self.breaker = Breaker("rate limiting", clock=clock)

    @property
    def shared(self) -> bool:
        """True when limits are kept in Redis, shared by every API process."""
        return self._redis is not None

    def hit(self, action: str, identity: str) -> Decision:
        """Count one request by ``identity`` (an address, an email) against ``action``."""
        return self.hit_each((action, identity))[0]

    def hit_each(self, *hits: tuple[str, str]) -> list[Decision]:
        """Count one request against each (action, identity), in order, until one is
        refused: the ones after it are not counted. With Redis, in one round trip. Returns
        the decisions made, the refusal last."""
        buckets = [
            (self._prefix + action + ":" + _digest(identity), self._rule(action))
            for action, identity in hits
        ]
        if self._redis is not None and self.breaker.closed:
            try:
                decisions = self._redis.hit_each(buckets, self._now_ms() if self._clock else None)
            except REDIS_DOWN_ERRORS as exc:
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()
                return decisions
        decisions = []
        for key, rule in buckets:
            if self._redis is not None:
                decisions.append(self._store_down(key, rule))
            else:
                decisions.append(self._local.hit(key, rule, self._now_ms()))
            if not decisions[-1].allowed:
                break
        return decisions

    def enforce(self, action: str, identity: str) -> Decision:
        """Like :meth:`hit`, but raises :class:`RateLimited` when over the limit."""
        return self.enforce_each((action, identity))[0]

    def enforce_each(self, *hits: tuple[str, str]) -> list[Decision]:
        """Like :meth:`hit_each`, but raises :class:`RateLimited` for the first refusal:
        ``enforce_each(("login.ip", ip), ("login.account", email))`` checks both at once."""
        decisions = self.hit_each(*hits)
        for (action, _identity), decision in zip(hits, decisions, strict=False):
            if not decision.allowed:
                raise RateLimited(self.rules[action], decision)
        return decisions

    async def enforce_async(self, action: str, identity: str) -> Decision:
        """:meth:`enforce` for ``async`` handlers, off the event loop."""
        return await anyio.to_thread.run_sync(self.enforce, action, identity)

    def _store_down(self, key: str, rule: Rule) -> Decision:
        if rule.when_store_down is WhenStoreDown.OPEN:
            return Decision(True, rule.limit, rule.limit, 0.0)
        if rule.when_store_down is WhenStoreDown.CLOSED:
            return Decision(False, rule.limit, 0, self.breaker.retry_after_s)
        return self._local.hit(key, rule, self._now_ms())

    def _rule(self, action: str) -> Rule:
        try:
            return self.rules[action]
        except KeyError:
            known = ", ".join(sorted(self.rules))
            raise ValueError(f"no rate limit named {action!r}; known: {known}") from None

    def _now_ms(self) -> int:
        return int((self._clock or time.monotonic)() * 1000)


def _digest(identity: str) -> str:
    normal = identity.strip().lower().encode("utf-8")
    return hashlib.sha256(normal).hexdigest()[:32]


# --- who is calling ----------------------------------------------------------------------


def parse_networks(cidrs: Iterable[str]) -> tuple[IpNetwork, ...]:
    """``["10.0.0.0/8", "127.0.0.1"]`` as networks; raises ValueError naming a bad entry."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{cidr!r} is not an IP address or CIDR network") from exc
    return tuple(networks)


# Peers already warned about, so a misconfigured proxy is named once, not on every request.
_warned_untrusted: set[str] = set()


def client_ip(
    connection: ASGIConnection[Any, Any, Any, Any], trusted: tuple[IpNetwork, ...]
) -> str:
    """The caller's address: the connection's peer, or, when the peer is a trusted proxy, the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy."""
    return scope_client_ip(connection.scope, trusted)


def scope_client_ip(scope: Scope, trusted: tuple[IpNetwork, ...]) -> str:
    """:func:`client_ip` from the request's ASGI scope, as the access log reads it: without
    the connection object and its parsed headers, which every request would build again."""
    peer = peer_host(scope)
    forwarded = header(scope, b"x-forwarded-for")
    if forwarded is not None and len(forwarded) > _REMEMBERED_HEADER:
        return _client(peer, forwarded, trusted)
    return _remembered_client(peer, forwarded, trusted)


# Each request asks twice (its rate limits, its access log line), and parsing addresses is
# most of the cost: the latest answers are remembered, for headers of a few hops only, so a
# client sending huge headers cannot fill memory with them.
_REMEMBERED_HEADER = 200


def _client(peer: str, forwarded: str | None, trusted: tuple[IpNetwork, ...]) -> str:
    if not forwarded:
        return _bucket(peer)
    if not is_trusted(peer, trusted):
        if peer not in _warned_untrusted and len(_warned_untrusted) < 16:
            _warned_untrusted.add(peer)
            log.warning(
                "ignoring X-Forwarded-For from %s, which is not a trusted proxy; if it is your "
                "reverse proxy, add it to BILTEN_TRUSTED_PROXIES",
                peer,
            )
        return _bucket(peer)
    client = peer
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        if not _is_address(hop):
            break  # a malformed entry: trust nothing further left of it
        client = hop
        if not is_trusted(hop, trusted):
            break
    return _bucket(client)


_remembered_client = functools.lru_cache(maxsize=4096)(_client)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_trusted(host: str, trusted: tuple[IpNetwork, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in trusted)


def _bucket(host: str) -> str:
    """IPv6 addresses as their /64: one subscriber gets a whole /64 to rotate through."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def limit_by_ip(action: str) -> Guard:
    """A Litestar guard: ``@post(..., guards=[limit_by_ip("checkout.ip")])`` answers 429 before
    the handler runs when the caller's address is over ``action``'s limit."""

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        state = connection.app.state
        limiter: RateLimiter = state.rate_limiter
        await limiter.enforce_async(action, client_ip(connection, state.trusted_proxies))

    return guard
