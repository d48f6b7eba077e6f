"""The real Redis for cloud tests: a private key prefix per test, and a loopback TCP relay that a
test can cut to see what the cloud does when Redis goes away mid-flight."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from tests.support import TcpRelay, need, port_open

REDIS_HOST = os.environ.get("BILTEN_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("BILTEN_TEST_REDIS_PORT", "6379"))


def redis_url_or_skip() -> str:
    """The Redis server's URL; skips loudly without one (fails under CI=true)."""
    need(port_open(REDIS_HOST, REDIS_PORT), f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@contextlib.contextmanager
def private_prefix(url: str) -> Iterator[str]:
    """A key prefix no other test run uses; every key under it is deleted afterwards."""
    prefix = f"bilten-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
            if keys:
                client.unlink(*keys)
        finally:
            client.close()


class RedisRelay(TcpRelay):
    """A relay to the Redis server (see tests.support.TcpRelay): ``cut()`` looks to a client
    like a Redis crash or a network partition."""

    def __init__(self) -> None:
        super().__init__(REDIS_PORT, REDIS_HOST)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    with private_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()
