"""Stripe, through PaymentIntents: checkout creates one per order and hands its client secret
to the buyer's browser, which confirms it with Stripe.js; Stripe's signed webhooks then tell
the cloud what happened (see cloud.orders.webhooks)."""

from __future__ import annotations

import logging
from typing import Any

import stripe

from cloud.errors import InvalidInput
from cloud.orders.models import Order
from cloud.orders.payments import (
    STRIPE,
    PaymentEvent,
    PaymentEventKind,
    PaymentProviderError,
    PaymentStart,
    PaymentState,
)

log = logging.getLogger("bilten.cloud.payments")

# Stripe's own default: a signature older than five minutes is refused as a replay.
SIGNATURE_TOLERANCE_S = 300

_KINDS = {
    "payment_intent.succeeded": PaymentEventKind.SUCCEEDED,
    "payment_intent.payment_failed": PaymentEventKind.FAILED,
    "payment_intent.canceled": PaymentEventKind.FAILED,
    "charge.refunded": PaymentEventKind.REFUNDED,
}


def stripe_client(secret_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """The one way the cloud talks to Stripe (``api_base``: another server, e.g. a local test
    server)."""
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else {},
        # Safe to retry: every call that moves money carries an idempotency key, and the
        # others only read or attach.
        max_network_retries=2,
    )


class StripeProvider:
    name = STRIPE

    def __init__(self, secret_key: str, api_base: str | None = None) -> None:
        self._client = stripe_client(secret_key, api_base)

    def start(self, order: Order) -> PaymentStart:
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": order.total,
                    "currency": order.currency.lower(),
                    "capture_method": "automatic",
                    "metadata": {"order_ref": order.reference},
                },
                # A retried checkout of the same order reuses the PaymentIntent it created.
                options={"idempotency_key": f"bilten-order-{order.reference}"},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_explain("start the payment", exc)) from exc
        return PaymentStart(
            PaymentState.PENDING, payment_ref=intent.id, client_secret=intent.client_secret
        )

    def resume(self, order: Order) -> PaymentStart | None:
        if order.payment_ref is None:
            return None
        try:
            intent = self._client.v1.payment_intents.retrieve(order.payment_ref)
        except stripe.StripeError as exc:
            raise PaymentProviderError(_explain("find the payment", exc)) from exc
        return PaymentStart(
            PaymentState.PENDING, payment_ref=intent.id, client_secret=intent.client_secret
        )

    def refund(self, order: Order) -> None:
        if order.payment_ref is None:
            raise PaymentProviderError(f"order {order.reference} has no Stripe payment")
        try:
            self._client.v1.refunds.create(
                params={
                    "payment_intent": order.payment_ref,
                    "metadata": {"order_ref": order.reference},
                },
                options={"idempotency_key": f"bilten-refund-{order.reference}"},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_explain("refund the payment", exc)) from exc

    def cancel(self, order: Order) -> None:
        if order.payment_ref is None:
            return
        try:
            self._client.v1.payment_intents.cancel(order.payment_ref)
        except stripe.StripeError as exc:
            raise PaymentProviderError(_explain("cancel the payment", exc)) from exc


def _explain(action: str, exc: stripe.StripeError) -> str:
    # Stripe's user message names the problem (declined, unknown intent) and never a key.
    detail = exc.user_message or type(exc).__name__
    return f"Stripe could not {action}: {detail}"


def verified_event(payload: bytes, signature: str | None, secret: str) -> PaymentEvent:
    """The event in a webhook's body, once its Stripe-Signature proves Stripe sent it within
    the tolerance; raises InvalidInput otherwise."""
    if not signature:
        raise InvalidInput("missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_S
        )
    except stripe.SignatureVerificationError:
        raise InvalidInput("the Stripe-Signature does not match this body") from None
    except ValueError:
        raise InvalidInput("the webhook body is not a Stripe event") from None
    return _payment_event(event.to_dict())


def _payment_event(event: dict[str, Any]) -> PaymentEvent:
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not event_id:
        raise InvalidInput("the Stripe event has no id or type")
    kind = _KINDS.get(event_type, PaymentEventKind.OTHER)
    data = event.get("data")
    thing = data.get("object") if isinstance(data, dict) else None
    if kind == PaymentEventKind.OTHER or not isinstance(thing, dict):
        return PaymentEvent(STRIPE, event_id[:255], event_type[:100], PaymentEventKind.OTHER)
    if kind == PaymentEventKind.REFUNDED:
        # A charge: refunded is true only once all of it went back.
        payment_ref = thing.get("payment_intent")
        amount = thing.get("amount_refunded")
        whole = thing.get("refunded") is True
    else:
        payment_ref = thing.get("id")
        amount = thing.get("amount")
        whole = False
    currency = thing.get("currency")
    return PaymentEvent(
        STRIPE,
        event_id[:255],
        event_type[:100],
        kind,
        payment_ref=payment_ref if isinstance(payment_ref, str) else None,
        amount=amount if isinstance(amount, int) else None,
        currency=currency.upper() if isinstance(currency, str) else None,
        whole_refund=whole,
    )
