"""Two cloud API processes behind nginx, on one PostgreSQL database and one Redis prefix, as
compose runs them: ``bilten cloud serve`` twice, Debian's nginx with the repository's nginx
configuration in front. Everything goes through nginx, and each process's own /metrics
shows that both took part:

* a page session made through one process is honoured by the other;
* a rate limit counts the attempts both processes saw;
* many buyers holding and checking out at once, spread over both, never get more tickets
  than the ticket type has, and get all of them.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.cloud.redis_support import private_prefix, redis_url_or_skip
from tests.conftest import CloudSchemas
from tests.ops.cloud_process import CloudProcess
from tests.ops.nginx import Nginx

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CAPACITY = 25
BUYERS = 60
_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')


@dataclass
class Stack:
    apis: tuple[CloudProcess, CloudProcess]
    nginx: Nginx

    @property
    def url(self) -> str:
        return self.nginx.url

    def served_by_each(self, method: str, path: str, status: int) -> list[float]:
        """How many such requests each API process answered, from its own /metrics."""
        return [
            api.metric(
                "bilten_cloud_requests_total",
                app_name="bilten_cloud",
                method=method,
                path=path,
                status_code=str(status),
            )
            for api in self.apis
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, cloud_schemas: CloudSchemas) -> Iterator[Stack]:
    """Started once for the module; each test makes its own accounts and events."""
    folder = tmp_path_factory.mktemp("stack")
    redis_url = redis_url_or_skip()
    with cloud_schemas.postgres_copy() as database_url, private_prefix(redis_url) as prefix:
        env = {
            "BILTEN_DATABASE_URL": database_url,
            "BILTEN_REDIS_URL": redis_url,
            "BILTEN_REDIS_PREFIX": prefix,
            "BILTEN_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "BILTEN_JWT_SECRET": secrets.token_urlsafe(48),
            "BILTEN_TRUSTED_PROXIES": "127.0.0.1/32",
            "BILTEN_COOKIE_SECURE": "0",
        }
        apis = (
            CloudProcess(folder / "api1", env).start(),
            CloudProcess(folder / "api2", env).start(),
        )
        nginx = None
        try:
            for api in apis:
                api.wait_ready()
            nginx = Nginx(
                folder / "nginx", (f"127.0.0.1:{apis[0].port}", f"127.0.0.1:{apis[1].port}")
            ).start()
            yield Stack(apis, nginx)
        finally:
            if nginx is not None:
                nginx.stop()
            for api in apis:
                api.kill()


def _created(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(path, json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _event_on_sale(url: str) -> tuple[int, int]:
    """An organizer's published event with one ticket type of CAPACITY seats."""
    with httpx.Client(base_url=url, timeout=30) as http:
        signup = _created(
            http,
            "/api/v1/auth/signup",
            {
                "email": f"org-{secrets.token_hex(4)}@example.org",
                "password": "correct horse",
                "name": "Org",
                "organisation": "Org",
            },
        )
        http.headers["Authorization"] = f"Bearer {signup['access_token']}"
        venue = _created(http, "/api/v1/venues", {"name": "Harbour Hall"})
        now = datetime.now(UTC)
        event = _created(
            http,
            "/api/v1/events",
            {
                "name": "Opening night",
                "venue_id": venue["venue_id"],
                "starts_at": (now + timedelta(days=7)).isoformat(),
                "ends_at": (now + timedelta(days=7, hours=3)).isoformat(),
                "published": True,
            },
        )
        kind = _created(
            http,
            f"/api/v1/events/{event['event_id']}/ticket-types",
            {"name": "Standing", "capacity": CAPACITY, "price": 1500, "currency": "EUR"},
        )
    return event["event_id"], kind["type_id"]


def test_a_page_session_made_through_one_process_is_honoured_by_the_other(stack: Stack) -> None:
    email = f"buyer-{secrets.token_hex(4)}@example.org"
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        _created(
            http,
            "/api/v1/auth/signup",
            {"email": email, "password": "correct horse", "name": "Mira Buyer"},
        )
        form = http.get("/account/login")
        found = _CSRF.search(form.text)
        assert found, form.text
        login = http.post(
            "/account/login",
            data={"email": email, "password": "correct horse", "_csrf_token": found.group(1)},
        )
        assert login.status_code in (302, 303), login.text
        assert http.cookies.get("bilten_session")
        before = stack.served_by_each("GET", "/account", 200)
        pages = [http.get("/account") for _ in range(8)]
    after = stack.served_by_each("GET", "/account", 200)

    assert all(page.status_code == 200 and email in page.text for page in pages)
    # Both processes answered with the account page, not the login page.
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)


def test_a_rate_limit_counts_what_both_processes_saw(stack: Stack) -> None:
    """10 login attempts per account in 5 minutes, however many processes they reach."""
    email = f"target-{secrets.token_hex(4)}@example.org"
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        answers = [
            http.post("/api/v1/auth/login", json={"email": email, "password": "guess"})
            for _ in range(14)
        ]

    statuses = [answer.status_code for answer in answers]
    assert statuses == [401] * 10 + [429] * 4
    assert int(answers[-1].headers["retry-after"]) > 0
    refused = stack.served_by_each("POST", "/api/v1/auth/login", 401)
    limited = stack.served_by_each("POST", "/api/v1/auth/login", 429)
    assert all(count > 0 for count in refused), refused
    assert sum(limited) == 4


def test_buyers_spread_over_both_processes_never_get_more_than_there_is(stack: Stack) -> None:
    event_id, type_id = _event_on_sale(stack.url)

    def buy(number: int) -> tuple[int, int | None, str | None]:
        # Each buyer from an address of their own, as nginx tells the API.
        headers = {"X-Forwarded-For": f"198.51.100.{number}"}
        with httpx.Client(base_url=stack.url, timeout=60, headers=headers) as http:
            hold = http.post(
                "/api/v1/shop/holds",
                json={
                    "event_id": event_id,
                    "buyer_email": f"buyer{number}@example.org",
                    "buyer_name": f"Buyer {number}",
                    "items": [{"type_id": type_id, "quantity": 1}],
                },
            )
            if hold.status_code != 201:
                return hold.status_code, None, None
            order = http.post(f"/api/v1/shop/holds/{hold.json()['hold_token']}/checkout")
            return hold.status_code, order.status_code, order.json().get("status")

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(buy, range(1, BUYERS + 1)))

    holds = Counter(status for status, _, _ in outcomes)
    orders = Counter((status, state) for _, status, state in outcomes if status is not None)
    assert holds == {201: CAPACITY, 409: BUYERS - CAPACITY}, holds
    assert orders == {(201, "paid"): CAPACITY}, orders
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        shown = http.get(f"/api/v1/shop/events/{event_id}").json()
    [kind] = [t for t in shown["ticket_types"] if t["type_id"] == type_id]
    assert kind["available"] == 0
    # Both processes sold, and both turned buyers away.
    assert all(n > 0 for n in stack.served_by_each("POST", "/api/v1/shop/holds", 201))
    assert sum(stack.served_by_each("POST", "/api/v1/shop/holds", 409)) == BUYERS - CAPACITY


def test_nginx_and_the_processes_log_one_request_id_and_no_token(stack: Stack) -> None:
    event_id, type_id = _event_on_sale(stack.url)
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        hold = _created(
            http,
            "/api/v1/shop/holds",
            {
                "event_id": event_id,
                "buyer_email": "ada@example.org",
                "buyer_name": "Ada",
                "items": [{"type_id": type_id, "quantity": 1}],
            },
        )
        token = hold["hold_token"]
        cart = http.get(f"/cart/{token}")
    request_id = cart.headers["x-request-id"]

    def api_lines() -> list[dict[str, Any]]:
        return [
            line for api in stack.apis for line in api.log if line.get("request_id") == request_id
        ]

    # Both logs are read as they are written; give a busy machine time to catch up.
    deadline = time.monotonic() + 30
    while f'"request_id":"{request_id}"' not in stack.nginx.access_log.read_text() or not (
        api_lines()
    ):
        assert time.monotonic() < deadline, "nginx or the API process did not log the request"
        time.sleep(0.05)

    assert [line["path"] for line in api_lines()] == ["/cart/{token}"]
    nginx_log = stack.nginx.access_log.read_text()
    assert '"path":"/cart/[redacted]"' in nginx_log
    assert token not in nginx_log
    assert all(token not in "\n".join(api.output) for api in stack.apis)
