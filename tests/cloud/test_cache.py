"""The public page cache: in this process and in the real Redis, shared by app instances,
invalidated by event, and harmless when Redis goes away."""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import TestClient
from redis import Redis

from cloud.app import create_app
from cloud.cache import (
    Cache,
    MemoryCache,
    RedisCache,
    cached,
    event_page_key,
    invalidate_event,
    invalidate_listings,
    listing_key,
)
from cloud.redis_client import connect as connect_redis
from cloud.settings import CloudSettings
from tests.cloud.redis_support import Clock, RedisRelay


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Cache:
    if request.param == "memory":
        return MemoryCache()
    client: Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")
    return RedisCache(client, prefix)


def test_buyers_arriving_together_wait_for_one_rendering_of_an_uncached_page(
    cache: Cache,
) -> None:
    """The first second of an on-sale: every buyer asks for the same page before it is in the
    cache. One renders it; the others get that rendering instead of each making their own."""
    renders: list[int] = []
    rendering = threading.Event()
    release = threading.Event()

    def render() -> bytes:
        renders.append(1)
        rendering.set()
        release.wait(10)
        return b"<h1>On sale</h1>"

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(cached, cache, event_page_key(9), 30, render)
        assert rendering.wait(10)
        others = [pool.submit(cached, cache, event_page_key(9), 30, render) for _ in range(7)]
        # Time for them to miss the cache: without waiting for the first, each would render.
        time.sleep(0.3)
        release.set()
        pages = [first.result(10), *(other.result(10) for other in others)]

    assert pages == [b"<h1>On sale</h1>"] * 8
    assert len(renders) == 1


def test_when_the_rendering_fails_the_waiting_buyers_render_the_page_themselves(
    cache: Cache,
) -> None:
    rendering = threading.Event()
    release = threading.Event()

    def broken() -> bytes:
        rendering.set()
        release.wait(10)
        raise RuntimeError("database went away")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cached, cache, event_page_key(10), 30, broken)
        assert rendering.wait(10)
        second = pool.submit(cached, cache, event_page_key(10), 30, lambda: b"<p>fresh</p>")
        time.sleep(0.3)  # time for it to miss the cache and wait for the first
        release.set()
        with pytest.raises(RuntimeError, match="went away"):
            first.result(10)
        assert second.result(10) == b"<p>fresh</p>"


def test_a_stored_page_comes_back_and_an_unknown_one_misses(cache: Cache) -> None:
    cache.set(event_page_key(7), b"<h1>Concert</h1>", ttl_s=30)

    assert cache.get(event_page_key(7)) == b"<h1>Concert</h1>"
    assert cache.get(event_page_key(8)) is None


def test_cached_renders_once_until_the_entry_is_deleted(cache: Cache) -> None:
    renders: list[int] = []

    def render() -> bytes:
        renders.append(1)
        return f"<p>render {len(renders)}</p>".encode()

    first = cached(cache, event_page_key(7), 30, render)
    again = cached(cache, event_page_key(7), 30, render)
    cache.delete(event_page_key(7))
    fresh = cached(cache, event_page_key(7), 30, render)

    assert first == again == b"<p>render 1</p>"
    assert fresh == b"<p>render 2</p>"


def test_invalidating_an_event_drops_its_pages_and_the_listings_only(cache: Cache) -> None:
    for key in (
        event_page_key(1),
        event_page_key(1, "sl"),
        event_page_key(10),
        event_page_key(2, "en"),
        listing_key(),
        listing_key("jazz", page=2),
    ):
        cache.set(key, b"page", ttl_s=30)

    invalidate_event(cache, 1)

    assert cache.get(event_page_key(1)) is None
    assert cache.get(event_page_key(1, "sl")) is None
    assert cache.get(listing_key()) is None
    assert cache.get(listing_key("jazz", page=2)) is None
    assert cache.get(event_page_key(10)) == b"page"  # event 10 is not event 1
    assert cache.get(event_page_key(2, "en")) == b"page"


def test_prefixes_with_pattern_characters_delete_only_what_they_say(cache: Cache) -> None:
    cache.set("a*b:1", b"x", ttl_s=30)
    cache.set("axb:1", b"y", ttl_s=30)
    cache.set("a[b]:1", b"z", ttl_s=30)

    deleted = cache.delete_prefix("a*b:")

    assert deleted == 1
    assert cache.get("axb:1") == b"y"
    assert cache.get("a[b]:1") == b"z"
    invalidate_listings(cache)  # nothing to drop is fine


def test_memory_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    cache.set("k", b"v", ttl_s=30)

    clock.now += 29.9
    before = cache.get("k")
    clock.now += 0.1
    after = cache.get("k")

    assert (before, after) == (b"v", None)


def test_memory_cache_keeps_the_most_recently_used_entries() -> None:
    cache = MemoryCache(max_entries=2)
    cache.set("a", b"1", ttl_s=30)
    cache.set("b", b"2", ttl_s=30)
    cache.get("a")
    cache.set("c", b"3", ttl_s=30)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")


@pytest.mark.redis
def test_redis_entries_carry_their_ttl(redis_client: Redis, redis_prefix: str) -> None:
    RedisCache(redis_client, redis_prefix).set("k", b"v", ttl_s=30)

    remaining_ms = redis_client.pttl(f"{redis_prefix}:cache:k")

    assert 0 < remaining_ms <= 30_000


def _settings(tmp_path: Path) -> CloudSettings:
    return CloudSettings(
        database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
    )


def test_the_embedded_app_keeps_its_cache_in_process(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))

    assert isinstance(app.state.cache, MemoryCache)


@pytest.mark.redis
def test_two_app_instances_on_one_redis_share_the_cache(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    settings = replace(_settings(tmp_path), redis_url=redis_url, redis_prefix=redis_prefix)
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        first.app.state.cache.set(event_page_key(3), b"<h1>Shared</h1>", 30)
        seen_by_second = second.app.state.cache.get(event_page_key(3))
        invalidate_event(second.app.state.cache, 3)
        after_invalidation = first.app.state.cache.get(event_page_key(3))

    assert seen_by_second == b"<h1>Shared</h1>"
    assert after_invalidation is None


@pytest.mark.redis
def test_pages_still_render_while_redis_is_down(redis_url: str, redis_prefix: str) -> None:
    relay = RedisRelay().restore()
    client = connect_redis(relay.url)
    clock = Clock()
    cache = RedisCache(client, redis_prefix, clock=clock)
    try:
        cache.set(event_page_key(5), b"cached", ttl_s=30)
        relay.cut()
        during = [cached(cache, event_page_key(5), 30, lambda: b"fresh") for _ in range(2)]
        invalidate_event(cache, 5)  # lost: the entry ages out with its TTL instead
        relay.restore()
        clock.now += cache.breaker.retry_after_s
        after = cache.get(event_page_key(5))
    finally:
        relay.cut()
        client.close()

    assert during == [b"fresh", b"fresh"]
    assert after == b"cached"
