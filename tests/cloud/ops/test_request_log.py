"""Request ids and the access log of the cloud, on a real server on loopback."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.app import create_app
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api
from tests.cloud.stripe_support import WEBHOOK_PATH, signature, stripe_event
from tests.support import captured_logs, json_lines, serving

HEX_ID = re.compile(r"[0-9a-f]{32}")


def _access(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "bilten.access"]


@pytest.fixture
def sqlite_settings(sqlite_database_url: str, tmp_path: Path) -> CloudSettings:
    return CloudSettings(
        database_url=sqlite_database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
    )


def test_every_answer_carries_a_new_request_id_and_its_access_line_the_same(
    sqlite_settings: CloudSettings,
) -> None:
    with captured_logs(level="info") as out, serving(create_app(sqlite_settings)) as server:
        first = httpx.get(f"{server.url}/health")
        second = httpx.get(f"{server.url}/no/such/page")

    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(HEX_ID.fullmatch(i) for i in ids) and ids[0] != ids[1]
    lines = _access(json_lines(out.getvalue()))
    assert [(line["request_id"], line["path"], line["status"]) for line in lines] == [
        (ids[0], "/health", 200),
        (ids[1], "/no/such/page", 404),
    ]
    assert all(line["client"] == "127.0.0.1" and line["duration_ms"] >= 0 for line in lines)


def test_the_request_id_of_a_trusted_proxy_is_kept(sqlite_settings: CloudSettings) -> None:
    proxied = replace(sqlite_settings, trusted_proxies=("127.0.0.0/8",))
    with serving(create_app(proxied)) as server:
        kept = httpx.get(f"{server.url}/health", headers={"X-Request-ID": "4f2c9a"})
        odd = httpx.get(f"{server.url}/health", headers={"X-Request-ID": 'x" level="error'})
        huge = httpx.get(f"{server.url}/health", headers={"X-Request-ID": "a" * 500})

    assert kept.headers["x-request-id"] == "4f2c9a"
    # Only ids that look like ids are believed; anything else could dress up a log line.
    assert HEX_ID.fullmatch(odd.headers["x-request-id"])
    assert HEX_ID.fullmatch(huge.headers["x-request-id"])


def test_a_request_id_from_anyone_else_is_replaced(sqlite_settings: CloudSettings) -> None:
    with serving(create_app(sqlite_settings)) as server:
        answer = httpx.get(f"{server.url}/health", headers={"X-Request-ID": "chosen-by-client"})

    assert answer.headers["x-request-id"] != "chosen-by-client"
    assert HEX_ID.fullmatch(answer.headers["x-request-id"])


def test_lines_written_while_serving_a_request_carry_its_id(
    sqlite_settings: CloudSettings,
) -> None:
    """The payment webhook writes a line about each event it handled, inside its request."""
    stripe = replace(
        sqlite_settings,
        payment_provider="stripe",
        stripe_secret_key=f"sk_test_{secrets.token_hex(8)}",
        stripe_webhook_secret=f"whsec_{secrets.token_hex(16)}",
    )
    assert stripe.stripe_webhook_secret is not None
    payload = json.dumps(stripe_event("customer.created", {"id": "cus_1"})).encode()
    with captured_logs(level="info") as out, serving(create_app(stripe)) as server:
        answer = httpx.post(
            f"{server.url}{WEBHOOK_PATH}",
            content=payload,
            headers={"Stripe-Signature": signature(payload, stripe.stripe_webhook_secret)},
        )

    assert answer.status_code == 200, answer.text
    request_id = answer.headers["x-request-id"]
    lines = [line for line in json_lines(out.getvalue()) if line.get("request_id") == request_id]
    assert [line["logger"] for line in lines] == ["bilten.cloud.payments", "bilten.access"]
    assert "customer.created" in lines[0]["message"]


def test_the_access_line_shows_routes_not_the_buyers_tokens(
    sqlite_settings: CloudSettings,
) -> None:
    with serving(create_app(sqlite_settings)) as server:
        api = Api(httpx.Client(base_url=server.url))  # type: ignore[arg-type]
        setup = api.setup()
        with captured_logs(level="info") as out:
            hold = httpx.post(
                f"{server.url}/api/v1/shop/holds",
                json={
                    "event_id": setup.event_id,
                    "buyer_email": "ada@example.org",
                    "buyer_name": "Ada",
                    "items": [{"type_id": setup.type_id, "quantity": 1}],
                },
            )
            token = hold.json()["hold_token"]
            httpx.get(f"{server.url}/api/v1/shop/holds/{token}")
            httpx.get(f"{server.url}/cart/{token}")
            httpx.get(f"{server.url}/account/reset", params={"token": token})
            httpx.get(f"{server.url}/nowhere/{token}", params={"cursor": "7"})
        metrics = httpx.get(f"{server.url}/metrics").text

    text = out.getvalue()
    assert token not in text
    assert [line["path"] for line in _access(json_lines(text))] == [
        "/api/v1/shop/holds",
        "/api/v1/shop/holds/{token}",
        "/cart/{token}",
        "/account/reset?token=[redacted]",
        "/nowhere/[redacted]?cursor=7",
    ]
    # The request metrics label routes too: no token, no time series per buyer.
    assert token not in metrics
    assert 'path="/api/v1/shop/holds/{token}"' in metrics


def test_an_unexpected_failure_is_logged_once_with_its_traceback_and_request_id(
    sqlite_settings: CloudSettings, sqlite_database_url: str
) -> None:
    """The accounts table is gone (a botched manual repair): logins fail with a 500."""
    with sqlite3.connect(sqlite_database_url.removeprefix("sqlite:///")) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DROP TABLE users")
    password = "correct horse battery"
    with captured_logs(level="info") as out, serving(create_app(sqlite_settings)) as server:
        answer = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"email": "ada@example.org", "password": password},
        )
        refused = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": 1})

    assert answer.status_code == 500
    assert refused.status_code == 400
    lines = json_lines(out.getvalue())
    [failure] = [line for line in lines if line["logger"] == "bilten.errors"]
    assert failure["request_id"] == answer.headers["x-request-id"]
    assert failure["message"] == "POST /api/v1/auth/login failed: OperationalError"
    assert "no such table: users" in failure["exception"]
    # Neither the statement's values nor the request's password are in it.
    assert "ada@example.org" not in out.getvalue()
    assert password not in out.getvalue()
