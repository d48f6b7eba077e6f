"""A real local Stripe-compatible server (localstripe) for the payment tests, the real
``stripe`` library talking to it, and a cloud on a loopback port that it sends its signed
webhooks to. Skipped loudly without localstripe, failing under CI=true."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from cloud.db import make_engine, make_session_factory
from cloud.migrate import upgrade
from cloud.notifications.outbox import waiting
from cloud.settings import CloudSettings
from tests.cloud_harness import Cloud, Organizer
from tests.support import free_port, need

WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"
# Generous: localstripe waits a second before each webhook; only a hung test waits longer.
WAIT_S = 30.0


@dataclass(frozen=True)
class LocalStripe:
    url: str

    def client(self, secret_key: str) -> stripe.StripeClient:
        return stripe.StripeClient(secret_key, base_addresses={"api": self.url})

    def send_webhooks_to(self, url: str, secret: str) -> None:
        """Where localstripe delivers its events from now on (one endpoint at a time)."""
        answer = httpx.post(
            f"{self.url}/_config/webhooks/bilten", data={"url": url, "secret": secret}
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    need(importlib.util.find_spec("localstripe") is not None, "localstripe (pip install)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    log = (workdir / "localstripe.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LocalStripe(f"http://127.0.0.1:{port}")
    try:
        need(_answers(server, process), f"localstripe on port {port} (see {log.name})")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _answers(server: LocalStripe, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{server.url}/js.stripe.com/v3/", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


@dataclass
class StripeShop:
    """A cloud taking payments through localstripe, an organizer selling on it, and the
    Stripe account's API as the buyer's browser and the organizer's dashboard use it."""

    cloud: Cloud
    stripe_server: LocalStripe
    stripe: stripe.StripeClient
    organizer: Organizer
    http: httpx.Client
    event_id: int
    type_id: int

    @property
    def settings(self) -> CloudSettings:
        return self.cloud.settings

    def hold(self, quantity: int = 2, email: str = "ada@example.org") -> str:
        answer = self.http.post(
            "/api/v1/shop/holds",
            json={
                "event_id": self.event_id,
                "buyer_email": email,
                "buyer_name": "Ada Lovelace",
                "items": [{"type_id": self.type_id, "quantity": quantity}],
            },
        )
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["hold_token"]
        return token

    def checkout(self, quantity: int = 2) -> tuple[str, dict[str, Any]]:
        """A pending order: the buyer's token and the order as checkout answered it."""
        token = self.hold(quantity)
        answer = self.http.post(f"/api/v1/shop/holds/{token}/checkout")
        assert answer.status_code == 201, answer.text
        order: dict[str, Any] = answer.json()
        assert order["status"] == "pending"
        assert order["client_secret"]
        return token, order

    def pay(self, client_secret: str, payment_method: str = "pm_card_visa") -> Any:
        """What Stripe.js does in the buyer's browser: pay the PaymentIntent with a card."""
        intent_id = intent_of(client_secret)
        self.stripe.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
        return self.stripe.v1.payment_intents.confirm(intent_id)

    def order(self, token: str) -> dict[str, Any]:
        answer = self.http.get(f"/api/v1/shop/orders/{token}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def order_once(self, token: str, status: str) -> dict[str, Any]:
        """The order once it reached ``status`` (webhooks arrive when they arrive)."""
        deadline = time.monotonic() + WAIT_S
        while (order := self.order(token))["status"] != status:
            assert time.monotonic() < deadline, f"order still {order['status']}, not {status}"
            time.sleep(0.1)
        return order

    def available(self) -> int:
        answer = self.http.get(f"/api/v1/shop/events/{self.event_id}")
        assert answer.status_code == 200, answer.text
        [kind] = [t for t in answer.json()["ticket_types"] if t["type_id"] == self.type_id]
        left: int = kind["available"]
        return left

    def confirmation_emails(self, reference: str) -> list[Any]:
        engine = make_engine(self.settings.database_url)
        try:
            with make_session_factory(engine)() as session:
                return [
                    message
                    for message in waiting(session)
                    if message.template == "order_confirmation"
                    and message.context.get("order_ref") == reference
                ]
        finally:
            engine.dispose()

    def post_event(self, event: dict[str, Any], secret: str | None = None, **sign: Any) -> Any:
        """Deliver ``event`` to the cloud's webhook as Stripe does, signed with the webhook
        secret (or ``secret``)."""
        payload = json.dumps(event).encode()
        key = secret or self.settings.stripe_webhook_secret
        assert key is not None
        return self.http.post(
            WEBHOOK_PATH,
            content=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signature(payload, key, **sign),
            },
        )


def intent_of(client_secret: str) -> str:
    return client_secret.split("_secret_", maxsplit=1)[0]


def signature(payload: bytes, secret: str, at: int | None = None) -> str:
    """A Stripe-Signature header: ``t=<unix time>,v1=<HMAC-SHA256 of "t.payload">``."""
    moment = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def stripe_event(kind: str, thing: Any, event_id: str | None = None) -> dict[str, Any]:
    """An event as Stripe sends it, about ``thing`` (a stripe object or a dict)."""
    body = thing.to_dict() if hasattr(thing, "to_dict") else thing
    return {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": body},
    }


def stripe_settings(
    database_url: str, data_dir: Path, server: LocalStripe, **extra: Any
) -> CloudSettings:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return CloudSettings(
        database_url=database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=data_dir,
        payment_provider="stripe",
        stripe_secret_key=f"sk_test_{secrets.token_hex(12)}",
        stripe_publishable_key=f"pk_test_{secrets.token_hex(12)}",
        stripe_webhook_secret=f"whsec_{secrets.token_hex(16)}",
        stripe_api_base=server.url,
        **extra,
    )


@pytest.fixture
def stripe_shop(
    localstripe: LocalStripe, database_url: str, tmp_path: Path
) -> Iterator[StripeShop]:
    cloud = Cloud(stripe_settings(database_url, tmp_path / "cloud", localstripe))
    cloud.start()
    secret = cloud.settings.stripe_webhook_secret
    assert secret is not None
    localstripe.send_webhooks_to(cloud.url + WEBHOOK_PATH, secret)
    organizer = Organizer(cloud)
    venue = organizer.venue()
    answer = organizer.http.post(
        f"/api/v1/events/{venue.event_id}/ticket-types",
        json={"name": "Seated", "capacity": 5, "price": 2500, "currency": "EUR"},
    )
    assert answer.status_code == 201, answer.text
    http = httpx.Client(base_url=cloud.url, timeout=20)
    assert cloud.settings.stripe_secret_key is not None
    try:
        yield StripeShop(
            cloud=cloud,
            stripe_server=localstripe,
            stripe=localstripe.client(cloud.settings.stripe_secret_key),
            organizer=organizer,
            http=http,
            event_id=venue.event_id,
            type_id=answer.json()["type_id"],
        )
    finally:
        http.close()
        organizer.close()
        cloud.stop()


def unreachable(settings: CloudSettings) -> CloudSettings:
    """``settings`` with Stripe's API somewhere nothing answers (Stripe is down)."""
    return replace(settings, stripe_api_base=f"http://127.0.0.1:{free_port()}")
