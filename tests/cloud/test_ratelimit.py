"""Rate limits on login and sign-up: in this process and in the real Redis, through the real app,
across app instances, through a Redis outage, and behind (or not behind) a reverse proxy."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.testing import TestClient
from redis import Redis

from cloud.app import create_app
from cloud.errors import ConfigurationError
from cloud.ratelimit import (
    DEFAULT_RULES,
    RateLimited,
    RateLimiter,
    Rule,
    WhenStoreDown,
    limit_by_ip,
    parse_networks,
    rate_limited_response,
)
from cloud.redis_client import connect as connect_redis
from cloud.settings import CloudSettings
from tests.cloud.redis_support import Clock, RedisRelay
from tests.support import ServerThread

THREE_PER_30S = {"try": Rule(3, 30, "Too many tries")}
RULES = {**THREE_PER_30S, "burst": Rule(50, 3600, "Too many")}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter_and_clock(request: pytest.FixtureRequest) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    if request.param == "memory":
        return RateLimiter(RULES, clock=clock), clock
    client: Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")
    return RateLimiter(RULES, client, prefix, clock=clock), clock


# --- the limiter itself, on both stores ----------------------------------------------------


def test_a_burst_up_to_the_limit_passes_and_the_next_is_told_when_to_retry(
    limiter_and_clock: tuple[RateLimiter, Clock],
) -> None:
    limiter, _ = limiter_and_clock

    passed = [limiter.hit("try", "198.51.100.7") for _ in range(3)]
    refused = limiter.hit("try", "198.51.100.7")

    assert [d.allowed for d in passed] == [True, True, True]
    assert [d.remaining for d in passed] == [2, 1, 0]
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(10.0)
    assert refused.retry_after_header == "10"


def test_budget_comes_back_as_time_passes(limiter_and_clock: tuple[RateLimiter, Clock]) -> None:
    limiter, clock = limiter_and_clock
    for _ in range(3):
        limiter.hit("try", "ann@example.org")

    clock.now += 9.9
    still_refused = limiter.hit("try", "ann@example.org")
    clock.now += 0.1
    one_more = [limiter.hit("try", "ann@example.org") for _ in range(2)]
    clock.now += 30
    whole_window = [limiter.hit("try", "ann@example.org").allowed for _ in range(4)]

    assert not still_refused.allowed
    assert [d.allowed for d in one_more] == [True, False]
    assert whole_window == [True, True, True, False]


def test_each_identity_has_its_own_budget_and_email_case_does_not_matter(
    limiter_and_clock: tuple[RateLimiter, Clock],
) -> None:
    limiter, _ = limiter_and_clock
    for _ in range(3):
        limiter.hit("try", "Ann@Example.org")

    assert not limiter.hit("try", "ann@example.org ").allowed
    assert limiter.hit("try", "bob@example.org").allowed


def test_concurrent_requests_never_get_past_the_limit(
    limiter_and_clock: tuple[RateLimiter, Clock],
) -> None:
    limiter, _ = limiter_and_clock
    allowed: list[bool] = []

    def hammer() -> None:
        results = [limiter.hit("burst", "198.51.100.7").allowed for _ in range(40)]
        with lock:
            allowed.extend(results)

    lock = threading.Lock()
    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 240
    assert allowed.count(True) == 50


def test_enforce_raises_with_the_rules_message(
    limiter_and_clock: tuple[RateLimiter, Clock],
) -> None:
    limiter, _ = limiter_and_clock
    for _ in range(3):
        limiter.enforce("try", "198.51.100.7")

    with pytest.raises(RateLimited, match=r"Too many tries\. Please wait 10 seconds") as caught:
        limiter.enforce("try", "198.51.100.7")
    assert caught.value.status_code == 429


def test_several_rules_at_once_count_in_order_and_stop_at_the_first_refusal(
    limiter_and_clock: tuple[RateLimiter, Clock],
) -> None:
    limiter, _ = limiter_and_clock
    address = "198.51.100.9"
    # Three tries from one address, each for another account: all pass, and each counts
    # against both.
    for n in range(3):
        decisions = limiter.enforce_each(("try", address), ("burst", f"fan{n}@example.org"))
        assert [(d.allowed, d.remaining) for d in decisions] == [(True, 2 - n), (True, 49)]

    # The fourth is refused for the address, and the account it named is not charged.
    with pytest.raises(RateLimited, match=r"Too many tries") as caught:
        limiter.enforce_each(("try", address), ("burst", "fan9@example.org"))
    assert caught.value.status_code == 429
    assert limiter.hit("burst", "fan9@example.org").remaining == 49

    # An account over its limit is refused after the address was counted.
    for _ in range(50):
        limiter.hit("burst", "fan8@example.org")
    refused = limiter.hit_each(("try", "198.51.100.10"), ("burst", "fan8@example.org"))
    assert [d.allowed for d in refused] == [True, False]
    assert limiter.hit("try", "198.51.100.10").remaining == 1  # the second of its three


def test_an_unknown_action_is_named_in_the_error() -> None:
    limiter = RateLimiter(THREE_PER_30S)

    with pytest.raises(ValueError, match="no rate limit named 'checkout'; known: try"):
        limiter.hit("checkout", "198.51.100.7")


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        Rule(0, 60, "never")


# --- through the real app ------------------------------------------------------------------


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> CloudSettings:
    from cloud.db import make_engine
    from cloud.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return CloudSettings(
        database_url=url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
    )


def _limits(**rules: Rule) -> dict[str, Rule]:
    return {name.replace("_", "."): rule for name, rule in rules.items()}


def _login(client: TestClient[Any] | httpx.Client, email: str, **kwargs: Any) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": "correct horse"}, **kwargs
    )


def _signup(client: TestClient[Any], email: str) -> httpx.Response:
    return client.post(
        "/api/v1/auth/signup", json={"email": email, "password": "correct horse", "name": "Ann"}
    )


def test_too_many_logins_for_one_account_get_429_with_retry_after(
    sqlite_settings: CloudSettings,
) -> None:
    settings = replace(
        sqlite_settings,
        rate_limits=_limits(login_account=Rule(2, 60, "Too many login attempts for this account")),
    )
    with TestClient(create_app(settings)) as client:
        assert _signup(client, "ann@example.org").status_code == 201
        first = [_login(client, "ann@example.org").status_code for _ in range(2)]
        refused = _login(client, "ann@example.org")
        other_account = _login(client, "bob@example.org")

    assert first == [200, 200]
    assert refused.status_code == 429
    # Two a minute: the next attempt is allowed 30 s after the first one, a little less by the
    # time the password checks of the first two are done.
    wait = int(refused.headers["Retry-After"])
    assert 25 <= wait <= 30
    assert refused.json()["detail"] == (
        f"Too many login attempts for this account. Please wait {wait} seconds and try again."
    )
    assert refused.json()["retry_after_s"] == wait
    assert "access_token" not in refused.json()
    assert other_account.status_code == 401  # its own budget: refused only for the password


def test_too_many_signups_from_one_address_get_429(sqlite_settings: CloudSettings) -> None:
    settings = replace(
        sqlite_settings, rate_limits=_limits(signup_ip=Rule(2, 3600, "Too many new accounts"))
    )
    with TestClient(create_app(settings)) as client:
        statuses = [_signup(client, f"user{i}@example.org").status_code for i in range(3)]
        refused = _signup(client, "late@example.org")

    assert statuses == [201, 201, 429]
    assert refused.status_code == 429
    assert 1790 <= int(refused.headers["Retry-After"]) <= 1800
    assert refused.json()["detail"].startswith("Too many new accounts.")


def test_the_default_limits_leave_room_for_a_person_who_mistypes(
    sqlite_settings: CloudSettings,
) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        _signup(client, "ann@example.org")
        statuses = [_login(client, "ann@example.org").status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert DEFAULT_RULES["login.account"].limit >= 5


@pytest.mark.redis
def test_two_app_instances_on_one_redis_share_the_limit(
    sqlite_settings: CloudSettings, redis_url: str, redis_prefix: str
) -> None:
    settings = replace(
        sqlite_settings,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        rate_limits=_limits(login_ip=Rule(4, 60, "Too many login attempts from your network")),
    )
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        statuses = [
            _login(client, "nobody@example.org").status_code
            for client in (first, second, first, second, first, second)
        ]

    assert statuses == [401, 401, 401, 401, 429, 429]


# --- Redis goes away ----------------------------------------------------------------------


@pytest.fixture
def relay(redis_url: str) -> Iterator[RedisRelay]:
    relay = RedisRelay().restore()
    yield relay
    relay.cut()


@pytest.mark.redis
def test_login_falls_back_to_a_local_limit_while_redis_is_down_and_returns_to_redis(
    relay: RedisRelay, redis_prefix: str
) -> None:
    clock = Clock()
    client = connect_redis(relay.url)
    limiter = RateLimiter(THREE_PER_30S, client, redis_prefix, clock=clock)
    try:
        in_redis = [limiter.hit("try", "ann@example.org").allowed for _ in range(3)]

        relay.cut()
        during_outage = [limiter.hit("try", "ann@example.org").allowed for _ in range(4)]

        relay.restore()
        clock.now += limiter.breaker.retry_after_s  # time to ask Redis again; 5 s refilled none
        after_outage = limiter.hit("try", "ann@example.org")
    finally:
        client.close()

    assert in_redis == [True, True, True]
    # A fresh local budget: still limited, never locked out, never unlimited.
    assert during_outage == [True, True, True, False]
    # Redis remembers the three attempts made before the outage.
    assert not after_outage.allowed


@pytest.mark.redis
@pytest.mark.parametrize(
    ("when_down", "expected"),
    [(WhenStoreDown.OPEN, [True] * 5), (WhenStoreDown.CLOSED, [False] * 5)],
)
def test_a_rule_may_choose_to_fail_open_or_closed(
    relay: RedisRelay, redis_prefix: str, when_down: WhenStoreDown, expected: list[bool]
) -> None:
    client = connect_redis(relay.url)
    limiter = RateLimiter(
        {"try": Rule(3, 30, "Too many tries", when_down)}, client, redis_prefix, clock=Clock()
    )
    try:
        relay.cut()
        decisions = [limiter.hit("try", "ann@example.org").allowed for _ in range(5)]
    finally:
        client.close()

    assert decisions == expected


@pytest.mark.redis
def test_login_keeps_answering_when_redis_dies_under_the_running_app(
    sqlite_settings: CloudSettings, relay: RedisRelay, redis_prefix: str
) -> None:
    settings = replace(
        sqlite_settings,
        redis_url=relay.url,
        redis_prefix=redis_prefix,
        rate_limits=_limits(login_account=Rule(2, 60, "Too many login attempts for this account")),
    )
    with TestClient(create_app(settings)) as client:
        assert _signup(client, "ann@example.org").status_code == 201
        before = _login(client, "ann@example.org").status_code
        relay.cut()
        during = [_login(client, "ann@example.org").status_code for _ in range(3)]

    assert before == 200
    assert during == [200, 200, 429]


# --- who is calling -----------------------------------------------------------------------


@contextlib.contextmanager
def _serving(app: Litestar) -> Iterator[ServerThread]:
    """A real server whose peer address is 127.0.0.1. Uvicorn's own X-Forwarded-For handling is
    off, as it must be in production, so BILTEN_TRUSTED_PROXIES alone decides whom to believe."""
    server = ServerThread(app)
    server.server.config.proxy_headers = False
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _proxy_settings(settings: CloudSettings, trusted: tuple[str, ...]) -> CloudSettings:
    return replace(
        settings,
        trusted_proxies=trusted,
        rate_limits=_limits(login_ip=Rule(2, 60, "Too many login attempts from your network")),
    )


def _logins_with_forwarded_for(url: str, addresses: list[str]) -> list[int]:
    with httpx.Client(base_url=url) as client:
        return [
            _login(client, f"user{i}@example.org", headers={"X-Forwarded-For": address}).status_code
            for i, address in enumerate(addresses)
        ]


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    sqlite_settings: CloudSettings,
) -> None:
    settings = _proxy_settings(sqlite_settings, trusted=())
    with _serving(create_app(settings)) as server:
        statuses = _logins_with_forwarded_for(server.url, ["203.0.113.1", "203.0.113.2", "x"])

    assert statuses == [401, 401, 429]


def test_a_trusted_proxy_names_the_client(sqlite_settings: CloudSettings) -> None:
    settings = _proxy_settings(sqlite_settings, trusted=("127.0.0.0/8",))
    with _serving(create_app(settings)) as server:
        different = _logins_with_forwarded_for(
            server.url, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        )
        # A client that prepends its own "X-Forwarded-For" only adds entries to the left of
        # the one the proxy appended: still counted as itself.
        same_client = _logins_with_forwarded_for(
            server.url,
            ["1.1.1.1, 198.51.100.9", "2.2.2.2, 198.51.100.9", "3.3.3.3, 198.51.100.9"],
        )

    assert different == [401, 401, 401]
    assert same_client == [401, 401, 429]


def test_ipv6_clients_count_per_64(sqlite_settings: CloudSettings) -> None:
    settings = _proxy_settings(sqlite_settings, trusted=("127.0.0.1/32",))
    with _serving(create_app(settings)) as server:
        statuses = _logins_with_forwarded_for(
            server.url, ["2001:db8:1:2::1", "2001:db8:1:2::abcd", "2001:db8:1:2:ffff::9"]
        )

    assert statuses == [401, 401, 429]


def test_trusted_proxies_come_from_the_environment_and_bad_ones_are_refused(
    tmp_path: Path,
) -> None:
    env = {"BILTEN_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1", "BILTEN_REDIS_URL": "redis://r:6379"}
    settings = CloudSettings.from_env(tmp_path, environ=env)

    assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1")
    assert settings.redis_url == "redis://r:6379"
    assert CloudSettings.from_env(tmp_path, environ={}).redis_url is None
    assert parse_networks(settings.trusted_proxies)[1].num_addresses == 1
    with pytest.raises(ConfigurationError, match=r"BILTEN_TRUSTED_PROXIES: 'proxy\.lan'"):
        CloudSettings.from_env(tmp_path, environ={"BILTEN_TRUSTED_PROXIES": "proxy.lan"})


# --- the guard other handlers reuse ---------------------------------------------------------


def test_the_guard_limits_a_route_by_address() -> None:
    @get("/checkout", guards=[limit_by_ip("checkout.ip")])
    async def checkout() -> str:
        return "ok"

    app = Litestar(
        route_handlers=[checkout],
        state=State(
            {
                "rate_limiter": RateLimiter({"checkout.ip": Rule(2, 60, "Too many checkouts")}),
                "trusted_proxies": (),
            }
        ),
        exception_handlers={RateLimited: rate_limited_response},
    )
    with TestClient(app) as client:
        responses = [client.get("/checkout") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[-1].headers["Retry-After"] == "30"
