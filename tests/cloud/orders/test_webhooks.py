"""Stripe's webhook as an attacker, a flaky network and Stripe's own retries see it: only
signed, fresh events count; each counts once however often and in whatever order it arrives;
and whatever happens, nobody pays without getting tickets."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cloud.audit.models import AuditEntry
from cloud.db import make_engine, make_session_factory
from cloud.orders.models import PaymentEventRecord
from tests.cloud.stripe_support import (
    WEBHOOK_PATH,
    StripeShop,
    intent_of,
    signature,
    stripe_event,
)
from tests.support import free_port

only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _paid_quietly(shop: StripeShop, quantity: int = 2) -> tuple[str, dict[str, Any], Any]:
    """A pending order whose PaymentIntent the buyer paid at Stripe, with Stripe's own
    webhook sent nowhere: the test delivers the events itself."""
    settings = shop.settings
    assert settings.stripe_webhook_secret is not None
    shop.stripe_server.send_webhooks_to(
        f"http://127.0.0.1:{free_port()}/", settings.stripe_webhook_secret
    )
    token, pending = shop.checkout(quantity)
    intent = shop.pay(pending["client_secret"])
    assert intent.status == "succeeded"
    return token, pending, intent


def _recorded(shop: StripeShop) -> list[tuple[str, str]]:
    engine = make_engine(shop.settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(
                select(PaymentEventRecord.event_id, PaymentEventRecord.type).order_by(
                    PaymentEventRecord.id
                )
            ).all()
            return [(event_id, kind) for event_id, kind in rows]
    finally:
        engine.dispose()


@only_sqlite
def test_a_forged_unsigned_or_stale_event_is_refused_and_changes_nothing(
    stripe_shop: StripeShop,
) -> None:
    token, _, intent = _paid_quietly(stripe_shop)
    event = stripe_event("payment_intent.succeeded", intent)

    forged = stripe_shop.post_event(event, secret="whsec_not_the_one_stripe_gave_us")
    stale = stripe_shop.post_event(event, at=int(time.time()) - 3600)
    unsigned = stripe_shop.http.post(WEBHOOK_PATH, json=event)
    payload = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'
    key = stripe_shop.settings.stripe_webhook_secret
    assert key is not None
    swapped = stripe_shop.http.post(  # a real signature, over another body
        WEBHOOK_PATH,
        content=str(event).encode(),
        headers={"Stripe-Signature": signature(payload, key)},
    )

    for answer in (forged, stale, unsigned, swapped):
        assert answer.status_code == 400, answer.text
    order = stripe_shop.order(token)
    assert (order["status"], order["tickets"]) == ("pending", [])
    assert _recorded(stripe_shop) == []
    # The very same event, properly signed, is accepted.
    assert stripe_shop.post_event(event).status_code == 200
    assert stripe_shop.order(token)["status"] == "paid"


def test_an_event_delivered_many_times_at_once_issues_one_set_of_tickets(
    stripe_shop: StripeShop,
) -> None:
    token, pending, intent = _paid_quietly(stripe_shop, quantity=2)
    event = stripe_event("payment_intent.succeeded", intent)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: stripe_shop.post_event(event), range(4)))
    answers.append(stripe_shop.post_event(event))  # and once more, later

    assert [answer.status_code for answer in answers] == [200] * 5
    outcomes = sorted(answer.json()["outcome"] for answer in answers)
    assert outcomes == ["duplicate"] * 4 + ["paid"]
    paid = stripe_shop.order(token)
    assert paid["status"] == "paid"
    assert len(paid["tickets"]) == 2
    assert len(stripe_shop.confirmation_emails(pending["reference"])) == 1
    assert stripe_shop.available() == 3
    assert _recorded(stripe_shop) == [(event["id"], "payment_intent.succeeded")]


@only_sqlite
def test_events_out_of_order_never_undo_a_payment(stripe_shop: StripeShop) -> None:
    token, pending, intent = _paid_quietly(stripe_shop)
    failed_earlier = stripe_event("payment_intent.payment_failed", intent)
    succeeded = stripe_event("payment_intent.succeeded", intent)
    retried_success = stripe_event("payment_intent.succeeded", intent)  # another event id

    assert stripe_shop.post_event(succeeded).json()["outcome"] == "paid"
    assert stripe_shop.post_event(failed_earlier).json()["outcome"] == "unchanged"
    assert stripe_shop.post_event(retried_success).json()["outcome"] == "unchanged"

    paid = stripe_shop.order(token)
    assert paid["status"] == "paid"
    assert len(paid["tickets"]) == 2
    assert len(stripe_shop.confirmation_emails(pending["reference"])) == 1
    assert stripe_shop.stripe.v1.refunds.list(params={"payment_intent": intent.id}).data == []


@only_sqlite
def test_a_refund_made_in_the_stripe_dashboard_revokes_the_tickets(
    stripe_shop: StripeShop,
) -> None:
    token, pending = stripe_shop.checkout(quantity=2)
    stripe_shop.pay(pending["client_secret"])
    stripe_shop.order_once(token, "paid")
    intent_id = intent_of(pending["client_secret"])
    # The organizer refunds in Stripe's dashboard; Stripe then reports the charge refunded.
    stripe_shop.stripe.v1.refunds.create(params={"payment_intent": intent_id})
    intent = stripe_shop.stripe.v1.payment_intents.retrieve(intent_id)
    latest = intent.latest_charge  # an id from Stripe, the charge itself from localstripe
    assert latest is not None
    charge_id = latest if isinstance(latest, str) else latest.id
    charge = stripe_shop.stripe.v1.charges.retrieve(charge_id)
    assert charge.refunded
    event = stripe_event("charge.refunded", charge)

    assert stripe_shop.post_event(event).json()["outcome"] == "refunded"
    assert stripe_shop.post_event(event).json()["outcome"] == "duplicate"

    refunded = stripe_shop.order(token)
    assert refunded["status"] == "refunded"
    assert [ticket["revoked"] for ticket in refunded["tickets"]] == [True, True]
    assert stripe_shop.available() == 5
    # The organisation's log says so once, with Stripe as the one who acted.
    engine = make_engine(stripe_shop.settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            entries = session.scalars(
                select(AuditEntry).where(AuditEntry.target_id == refunded["reference"])
            ).all()
    finally:
        engine.dispose()
    assert [(e.action, e.actor, e.actor_id) for e in entries] == [
        ("order.refunded", "stripe", None)
    ]
    assert "refunded at the payment provider (stripe)" in entries[0].summary
    assert entries[0].org_id is not None


@only_sqlite
def test_events_the_cloud_does_not_know_are_acknowledged_and_change_nothing(
    stripe_shop: StripeShop,
) -> None:
    token, _, intent = _paid_quietly(stripe_shop)
    other_type = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    other_payment = stripe_event(
        "payment_intent.succeeded", {**intent.to_dict(), "id": "pi_of_another_shop"}
    )

    first = stripe_shop.post_event(other_type)
    second = stripe_shop.post_event(other_payment)

    assert (first.status_code, first.json()["outcome"]) == (200, "ignored")
    assert (second.status_code, second.json()["outcome"]) == (200, "unknown_payment")
    assert stripe_shop.order(token)["status"] == "pending"
    assert _recorded(stripe_shop) == [(other_type["id"], "customer.created")]


@only_sqlite
def test_a_payment_of_another_amount_issues_no_tickets_and_is_refunded(
    stripe_shop: StripeShop,
) -> None:
    token, pending = stripe_shop.checkout(quantity=2)
    intent_id = intent_of(pending["client_secret"])
    # Someone with the account's keys lowered the amount before paying.
    stripe_shop.stripe.v1.payment_intents.update(intent_id, params={"amount": 100})

    stripe_shop.pay(pending["client_secret"])

    refunded = stripe_shop.order_once(token, "refunded")
    assert refunded["tickets"] == []
    assert stripe_shop.available() == 5
    [refund] = stripe_shop.stripe.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert refund.amount == 100


@only_sqlite
def test_the_webhook_is_not_there_without_stripe(
    stripe_shop: StripeShop,
) -> None:
    from tests.cloud_harness import Cloud

    local = Cloud(
        type(stripe_shop.settings)(
            database_url=stripe_shop.settings.database_url,
            master_key=stripe_shop.settings.master_key,
            jwt_secret=stripe_shop.settings.jwt_secret,
            data_dir=stripe_shop.settings.data_dir,
        )
    )
    local.start()
    try:
        answer = httpx.post(f"{local.url}{WEBHOOK_PATH}", content=b"{}")
    finally:
        local.stop()
    assert answer.status_code == 404
