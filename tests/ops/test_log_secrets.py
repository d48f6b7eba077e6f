"""No secret, token or password ever reaches a log line.

The cloud (``bilten cloud serve``), its worker (``bilten cloud worker --once``) and a venue
server (``bilten venue serve``) run as real processes logging JSON at DEBUG, configured with
every kind of secret they take (database and SMTP passwords, the master key and JWT secret,
Stripe's secret key and webhook secret). Real requests then carry passwords (sign-up, wrong
and right logins, a form login, a reset), access and refresh tokens, a page session cookie,
reset and verification links, a buyer's hold and order token in URL paths, a Stripe client
secret and a payment webhook from localstripe, the venue's API key (its syncs), a gate's
device token (right and wrong) and the signed tickets; the worker mails the links and
tickets through an SMTP server that asks for the password.

Every line the three processes wrote is then searched for every one of those values.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from shared.cli import main as bilten
from shared.messages import PairResponse, ScanBatch, decode, encode
from tests.cloud.locks import eventually
from tests.cloud.notifications.conftest import SmtpServer
from tests.cloud.stripe_support import WEBHOOK_PATH, LocalStripe, intent_of
from tests.conftest import CloudSchemas
from tests.ops.cloud_process import BILTEN, CloudProcess
from tests.venue.conftest import scan
from tests.venue.venue_driver import VenueProcess
from venue_server.pairing import issue_pairing_code
from venue_server.store import VenueStore

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

WAIT_S = 60.0
_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')
_LINK_TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


class Secrets:
    """Every secret value the run handed out or was given, by what it is."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, what: str, value: str | None) -> str:
        assert value, f"{what} is empty: the test did not get what it meant to"
        self.values[what] = value
        return value


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def _outbox_tokens(database_url: str, template: str) -> list[str]:
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        rows = conn.execute(
            "SELECT context FROM outbox WHERE template = %s", (template,)
        ).fetchall()
    return [token for (context,) in rows for token in _LINK_TOKEN.findall(json.dumps(context))]


def test_no_secret_reaches_a_log_line(
    tmp_path: Path,
    cloud_schemas: CloudSchemas,
    redis_url: str,
    redis_prefix: str,
    localstripe: LocalStripe,
    smtp: SmtpServer,
) -> None:
    found = Secrets()
    database_password = found.add("database password", f"pg-{secrets.token_urlsafe(12)}")
    stripe_key = found.add("Stripe secret key", f"sk_test_{secrets.token_hex(12)}")
    webhook_secret = found.add("Stripe webhook secret", f"whsec_{secrets.token_hex(16)}")
    found.add("SMTP password", urlsplit(smtp.url).password)
    master_key = found.add("master key", base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
    jwt_secret = found.add("JWT secret", secrets.token_urlsafe(48))

    with cloud_schemas.postgres_copy() as plain_url:
        # Trust authentication: the server never asks, so the password is only ever ours.
        database_url = _with_password(plain_url, database_password)
        env = {
            "BILTEN_LOG_LEVEL": "debug",
            "BILTEN_LOG_JSON": "1",
            "BILTEN_DATABASE_URL": database_url,
            "BILTEN_REDIS_URL": redis_url,
            "BILTEN_REDIS_PREFIX": redis_prefix,
            "BILTEN_MASTER_KEY": master_key,
            "BILTEN_JWT_SECRET": jwt_secret,
            "BILTEN_STRIPE_SECRET_KEY": stripe_key,
            "BILTEN_STRIPE_PUBLISHABLE_KEY": f"pk_test_{secrets.token_hex(12)}",
            "BILTEN_STRIPE_WEBHOOK_SECRET": webhook_secret,
            "BILTEN_STRIPE_API_BASE": localstripe.url,
            "BILTEN_SMTP_URL": smtp.url,
            "BILTEN_COOKIE_SECURE": "0",
        }
        cloud = CloudProcess(tmp_path / "cloud", env).start()
        venue: VenueProcess | None = None
        try:
            cloud.wait_ready()
            localstripe.send_webhooks_to(cloud.url + WEBHOOK_PATH, webhook_secret)
            venue = _drive(cloud, localstripe, found, tmp_path, database_url)
            worker = subprocess.run(
                [BILTEN, "cloud", "worker", "--once", "--data", str(tmp_path / "cloud")],
                env=cloud.env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            if venue is not None:
                venue.stop()
            cloud.terminate()
            cloud.kill()

    assert worker.returncode == 0, worker.stderr
    # The worker mailed the links and the tickets, logging in with the SMTP password.
    assert len(smtp.sink.received) >= 4
    logs = {
        "cloud": cloud.output,
        "worker": (worker.stdout + worker.stderr).splitlines(),
        "venue server": venue.life.lines if venue is not None else [],
    }
    # Each process logged what it did, as JSON objects, at DEBUG.
    for name, lines in logs.items():
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        assert entries, f"the {name} logged nothing"
    access = [json.loads(line) for line in cloud.output if '"bilten.access"' in line]
    paths = {line["path"] for line in access}
    assert {"/api/v1/shop/holds/{token}", "/cart/{token}", "/orders/{token}"} <= paths
    assert "/account/reset?token=[redacted]" in paths
    worker_loggers = {json.loads(line)["logger"] for line in logs["worker"] if line.startswith("{")}
    assert "bilten.cloud.email" in worker_loggers

    leaks = [
        f"{what} in the {name}'s log: {line[:200]}"
        for name, lines in logs.items()
        for line in lines
        for what, value in found.values.items()
        if value in line
    ]
    assert not leaks, "\n".join(leaks)
    assert len(found.values) >= 20, sorted(found.values)


def _drive(
    cloud: CloudProcess,
    stripe_server: LocalStripe,
    found: Secrets,
    tmp_path: Path,
    database_url: str,
) -> VenueProcess:
    """Everything a busy day sends through the servers; returns the running venue server."""
    organizer_password = found.add("organizer's password", f"Org-{secrets.token_urlsafe(10)}")
    buyer_password = found.add("buyer's password", f"Buy-{secrets.token_urlsafe(10)}")
    wrong_password = found.add("a mistyped password", f"Wrong-{secrets.token_urlsafe(10)}")
    new_password = found.add("the new password", f"New-{secrets.token_urlsafe(10)}")
    buyer = f"buyer-{secrets.token_hex(4)}@example.org"

    with httpx.Client(base_url=cloud.url, timeout=30) as http:
        signed_up = _ok(
            http.post(
                "/api/v1/auth/signup",
                json={
                    "email": f"org-{secrets.token_hex(4)}@example.org",
                    "password": organizer_password,
                    "name": "Org",
                    "organisation": "Org",
                },
            ),
            201,
        )
        found.add("first access token", signed_up["access_token"])
        refreshed = _ok(
            http.post(
                "/api/v1/auth/refresh",
                json={"refresh_token": found.add("refresh token", signed_up["refresh_token"])},
            )
        )
        found.add("rotated refresh token", refreshed["refresh_token"])
        access = found.add("access token", refreshed["access_token"])
        organizer = {"Authorization": f"Bearer {access}"}
        venue = _ok(http.post("/api/v1/venues", json={"name": "Hall"}, headers=organizer), 201)
        api_key = found.add("venue API key", venue["api_key"])
        event = _ok(
            http.post(
                "/api/v1/events",
                json={
                    "name": "Concert",
                    "venue_id": venue["venue_id"],
                    "starts_at": "2031-06-01T19:00:00Z",
                    "ends_at": "2031-06-01T23:00:00Z",
                    "published": True,
                },
                headers=organizer,
            ),
            201,
        )
        kind = _ok(
            http.post(
                f"/api/v1/events/{event['event_id']}/ticket-types",
                json={"name": "Seated", "capacity": 10, "price": 2500, "currency": "EUR"},
                headers=organizer,
            ),
            201,
        )

        # A buyer: account, a wrong and a right login, the page login, a password reset.
        _ok(
            http.post(
                "/api/v1/auth/signup",
                json={"email": buyer, "password": buyer_password, "name": "Mira Buyer"},
            ),
            201,
        )
        refused = http.post("/api/v1/auth/login", json={"email": buyer, "password": wrong_password})
        assert refused.status_code == 401
        form = http.get("/account/login")
        csrf = _CSRF.search(form.text)
        assert csrf
        found.add("CSRF token", csrf.group(1))
        login = http.post(
            "/account/login",
            data={"email": buyer, "password": buyer_password, "_csrf_token": csrf.group(1)},
        )
        assert login.status_code in (302, 303), login.text
        found.add("page session cookie", http.cookies.get("bilten_session"))
        assert buyer in http.get("/account").text
        _ok(http.post("/api/v1/auth/password-reset", json={"email": buyer}), 202)
        # The reset link is queued just after the answer (cloud.asks).
        assert eventually(lambda: len(_outbox_tokens(database_url, "password_reset")) == 1)
        (reset_token,) = _outbox_tokens(database_url, "password_reset")
        found.add("password reset token", reset_token)
        assert http.get("/account/reset", params={"token": reset_token}).status_code == 200
        confirmed = http.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": reset_token, "password": new_password},
        )
        assert confirmed.status_code == 204, confirmed.text
        verify_token = _outbox_tokens(database_url, "verify_email")[-1]
        found.add("verification token", verify_token)
        http.get("/account/verify", params={"token": verify_token})

        # A card payment: hold, checkout (a Stripe PaymentIntent), the card paid through
        # Stripe, the signed webhook, then the order's pages under the buyer's token.
        hold = _ok(
            http.post(
                "/api/v1/shop/holds",
                json={
                    "event_id": event["event_id"],
                    "buyer_email": buyer,
                    "buyer_name": "Mira Buyer",
                    "items": [{"type_id": kind["type_id"], "quantity": 2}],
                },
            ),
            201,
        )
        token = found.add("hold and order token", hold["hold_token"])
        _ok(http.get(f"/api/v1/shop/holds/{token}"))
        assert http.get(f"/cart/{token}").status_code == 200
        order = _ok(http.post(f"/api/v1/shop/holds/{token}/checkout"), 201)
        client_secret = found.add("Stripe client secret", order["client_secret"])
        intent = intent_of(client_secret)
        stripe = stripe_server.client(found.values["Stripe secret key"])
        stripe.v1.payment_intents.update(intent, params={"payment_method": "pm_card_visa"})
        stripe.v1.payment_intents.confirm(intent)
        deadline = time.monotonic() + WAIT_S
        while (paid := _ok(http.get(f"/api/v1/shop/orders/{token}")))["status"] != "paid":
            assert time.monotonic() < deadline, f"order still {paid['status']}"
            time.sleep(0.2)
        for number, ticket in enumerate(paid["tickets"]):
            found.add(f"signed ticket {number + 1}", ticket["token"])
        assert http.get(f"/orders/{token}").status_code == 200
        assert http.get(f"/orders/{token}/tickets.pdf").status_code == 200

    # The venue server syncs with its API key; a gate pairs and uploads with its token.
    data = tmp_path / "venue"
    assert (
        bilten(["venue", "pair", "--cloud", cloud.url, "--key", api_key, "--data", str(data)]) == 0
    )
    venue_server = VenueProcess(
        data,
        env={"BILTEN_VENUE_LOG_LEVEL": "debug", "BILTEN_VENUE_LOG_JSON": "1"},
        sync_interval=0.3,
    )
    venue_server.start()
    store = VenueStore(data / "venue.sqlite3")
    try:
        code = found.add("pairing code", issue_pairing_code(store, "North", 900, int(time.time())))
    finally:
        store.close()
    with httpx.Client(base_url=venue_server.url, timeout=30) as gate_http:
        gate = decode(
            gate_http.post(
                "/api/v1/pair", json={"v": 1, "code": code, "device_name": "North 1"}
            ).content,
            PairResponse,
        )
        device = {"Authorization": f"Bearer {found.add('device token', gate.device_token)}"}
        wrong_token = found.add("a wrong device token", secrets.token_urlsafe(32))
        wrong = {"Authorization": f"Bearer {wrong_token}"}
        assert gate_http.get("/api/v1/manifest", headers=wrong).status_code == 401
        _ok(gate_http.get("/api/v1/manifest", headers=device))
        batch = ScanBatch(scans=[scan(gate, event_id=event["event_id"]) for _ in range(3)])
        _ok(gate_http.post("/api/v1/scans", content=encode(batch), headers=device))
        deadline = time.monotonic() + WAIT_S
        while venue_server.health()["scans_pending_upload"] != 0:
            assert time.monotonic() < deadline, "the venue did not upload its scans"
            time.sleep(0.1)
    return venue_server
