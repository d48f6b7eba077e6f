"""Fixtures for the operations tests: a real cloud on loopback with an organizer (the same as
the venue and chain tests use), and the real Redis and localstripe."""

from __future__ import annotations

from tests.cloud.notifications.conftest import smtp  # noqa: F401
from tests.cloud.redis_support import redis_client, redis_prefix, redis_url  # noqa: F401
from tests.cloud.stripe_support import localstripe  # noqa: F401
from tests.cloud_harness import cloud, cloud_venue, organizer  # noqa: F401
