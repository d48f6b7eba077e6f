"""Buying with Stripe, end to end: the cloud creates a PaymentIntent at checkout, the buyer
pays it with a card (the real ``stripe`` library against localstripe, a local
Stripe-compatible server), localstripe's signed webhook reaches the cloud over HTTP, and the
buyer's order turns paid with its tickets. Declines, refunds and abandoned orders too."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe
from sqlalchemy.orm import Session, sessionmaker

from cloud.db import make_engine, make_session_factory
from cloud.errors import ConfigurationError
from cloud.orders.jobs import expire_unpaid_orders
from cloud.orders.payments import provider_lookup
from cloud.settings import CloudSettings
from tests.cloud.stripe_support import (
    StripeShop,
    intent_of,
    unreachable,
)
from tests.cloud_harness import Cloud

only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _expire(settings: CloudSettings, after_s: int | None = None) -> int:
    """Run the worker's unpaid-order job as if ``after_s`` (default: the limit) had passed."""
    from cloud.clock import now_s

    engine = make_engine(settings.database_url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    try:
        wait = settings.pending_order_seconds if after_s is None else after_s
        return expire_unpaid_orders(
            sessions, provider_lookup(settings), settings.pending_order_seconds, now_s() + wait
        )
    finally:
        engine.dispose()


def test_a_card_payment_confirmed_by_stripe_issues_the_tickets(stripe_shop: StripeShop) -> None:
    token, pending = stripe_shop.checkout(quantity=2)
    assert pending["tickets"] == []
    assert stripe_shop.available() == 3  # the order keeps its seats while it is paid
    # A buyer who reloads the payment page continues the same payment.
    reloaded = stripe_shop.http.post(f"/api/v1/shop/holds/{token}/checkout").json()
    assert reloaded["reference"] == pending["reference"]
    assert reloaded["client_secret"] == pending["client_secret"]

    intent = stripe_shop.stripe.v1.payment_intents.retrieve(intent_of(pending["client_secret"]))
    assert (intent.amount, intent.currency) == (5000, "eur")
    assert intent.metadata["order_ref"] == pending["reference"]
    assert intent.status == "requires_payment_method"

    assert stripe_shop.pay(pending["client_secret"]).status == "succeeded"

    paid = stripe_shop.order_once(token, "paid")
    assert len(paid["tickets"]) == 2
    assert not any(ticket["revoked"] for ticket in paid["tickets"])
    assert paid["paid_at"] is not None
    assert stripe_shop.available() == 3
    [email] = stripe_shop.confirmation_emails(paid["reference"])
    assert email.recipient == "ada@example.org"
    # Checking out the same hold again neither charges twice nor issues more tickets.
    again = stripe_shop.http.post(f"/api/v1/shop/holds/{token}/checkout").json()
    assert (again["reference"], again["client_secret"]) == (paid["reference"], None)
    assert len(again["tickets"]) == 2


@only_sqlite
def test_a_declined_card_cancels_the_order_and_puts_the_seats_back(
    stripe_shop: StripeShop,
) -> None:
    token, pending = stripe_shop.checkout(quantity=2)

    with pytest.raises(stripe.CardError) as declined:
        stripe_shop.pay(pending["client_secret"], "pm_card_chargeCustomerFail")
    assert declined.value.code == "card_declined"

    cancelled = stripe_shop.order_once(token, "cancelled")
    assert cancelled["tickets"] == []
    assert stripe_shop.available() == 5
    assert stripe_shop.confirmation_emails(cancelled["reference"]) == []


def test_an_organizer_refund_goes_back_through_stripe_and_revokes_the_tickets(
    stripe_shop: StripeShop,
) -> None:
    token, pending = stripe_shop.checkout(quantity=2)
    stripe_shop.pay(pending["client_secret"])
    paid = stripe_shop.order_once(token, "paid")

    answer = stripe_shop.organizer.http.post(
        f"/api/v1/events/{stripe_shop.event_id}/orders/{paid['reference']}/refund"
    )
    assert answer.status_code == 200, answer.text

    refunded = stripe_shop.order(token)
    assert refunded["status"] == "refunded"
    assert [ticket["revoked"] for ticket in refunded["tickets"]] == [True, True]
    assert stripe_shop.available() == 5
    [refund] = stripe_shop.stripe.v1.refunds.list(
        params={"payment_intent": intent_of(pending["client_secret"])}
    ).data
    assert (refund.amount, refund.status) == (5000, "succeeded")


@only_sqlite
def test_a_refund_stripe_cannot_make_changes_nothing(
    stripe_shop: StripeShop,
) -> None:
    token, pending = stripe_shop.checkout(quantity=1)
    stripe_shop.pay(pending["client_secret"])
    paid = stripe_shop.order_once(token, "paid")
    # The same database, served by a cloud that cannot reach Stripe.
    cut_off = Cloud(unreachable(stripe_shop.settings))
    cut_off.start()
    try:
        answer = stripe_shop.organizer.http.post(
            f"{cut_off.url}/api/v1/events/{stripe_shop.event_id}/orders/{paid['reference']}/refund"
        )
    finally:
        cut_off.stop()

    assert answer.status_code == 502, answer.text
    assert "Stripe could not refund" in answer.json()["detail"]
    still = stripe_shop.order(token)
    assert still["status"] == "paid"
    assert [ticket["revoked"] for ticket in still["tickets"]] == [False]
    assert stripe_shop.available() == 4


def test_an_abandoned_order_expires_and_its_payment_is_cancelled_at_stripe(
    stripe_shop: StripeShop,
) -> None:
    token, pending = stripe_shop.checkout(quantity=2)
    assert _expire(stripe_shop.settings, after_s=60) == 0  # not yet

    assert _expire(stripe_shop.settings) == 1

    assert stripe_shop.order(token)["status"] == "cancelled"
    assert stripe_shop.available() == 5
    intent = stripe_shop.stripe.v1.payment_intents.retrieve(intent_of(pending["client_secret"]))
    assert intent.status == "canceled"  # the buyer can no longer pay for seats that are gone
    assert _expire(stripe_shop.settings) == 0


@only_sqlite
def test_a_payment_made_after_its_order_expired_is_refunded(stripe_shop: StripeShop) -> None:
    token, pending = stripe_shop.checkout(quantity=2)
    # Stripe was down when the order expired, so its PaymentIntent stayed payable.
    assert _expire(unreachable(stripe_shop.settings)) == 1
    assert stripe_shop.available() == 5

    assert stripe_shop.pay(pending["client_secret"]).status == "succeeded"

    refunded = stripe_shop.order_once(token, "refunded")
    assert refunded["tickets"] == []
    assert stripe_shop.available() == 5
    [refund] = stripe_shop.stripe.v1.refunds.list(
        params={"payment_intent": intent_of(pending["client_secret"])}
    ).data
    assert refund.amount == 5000
    assert stripe_shop.confirmation_emails(refunded["reference"]) == []


def test_stripe_is_set_up_from_the_environment_or_refused_clearly(tmp_path: Path) -> None:
    keys = {"BILTEN_STRIPE_SECRET_KEY": "sk_test_1", "BILTEN_STRIPE_PUBLISHABLE_KEY": "pk_test_1"}
    with pytest.raises(ConfigurationError, match="BILTEN_STRIPE_WEBHOOK_SECRET"):
        CloudSettings.from_env(tmp_path, environ=keys)
    with pytest.raises(ConfigurationError, match="BILTEN_STRIPE_SECRET_KEY"):
        CloudSettings.from_env(tmp_path, environ={"BILTEN_PAYMENT_PROVIDER": "stripe"})

    settings = CloudSettings.from_env(
        tmp_path,
        environ={
            **keys,
            "BILTEN_STRIPE_WEBHOOK_SECRET": "whsec_1",
            "BILTEN_STRIPE_API_BASE": "http://127.0.0.1:8420",
            "BILTEN_STRIPE_JS_URL": "http://127.0.0.1:8420/js.stripe.com/v3/",
        },
    )
    assert settings.payment_provider == "stripe"
    assert (settings.stripe_publishable_key, settings.stripe_api_base) == (
        "pk_test_1",
        "http://127.0.0.1:8420",
    )
    assert "sk_test_1" not in repr(settings) and "whsec_1" not in repr(settings)
    assert CloudSettings.from_env(tmp_path, environ={}).payment_provider == "local"
    local = {**keys, "BILTEN_PAYMENT_PROVIDER": "local"}
    assert CloudSettings.from_env(tmp_path, environ=local).payment_provider == "local"


@only_sqlite
def test_a_checkout_while_stripe_is_down_keeps_the_hold_for_another_try(
    stripe_shop: StripeShop,
) -> None:
    token = stripe_shop.hold(quantity=2)
    cut_off = Cloud(unreachable(stripe_shop.settings))
    cut_off.start()
    try:
        answer = stripe_shop.http.post(f"{cut_off.url}/api/v1/shop/holds/{token}/checkout")
    finally:
        cut_off.stop()

    assert answer.status_code == 502, answer.text
    assert "Stripe could not start the payment" in answer.json()["detail"]
    assert stripe_shop.http.get(f"/api/v1/shop/holds/{token}").json()["state"] == "active"
    assert stripe_shop.available() == 3
    retried = stripe_shop.http.post(f"/api/v1/shop/holds/{token}/checkout")
    assert retried.status_code == 201, retried.text
    assert retried.json()["client_secret"]
