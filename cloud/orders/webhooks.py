"""Where payment providers tell the cloud what happened to a payment. Stripe signs each
delivery; an unsigned, forged or stale one is refused with 400 and changes nothing. Every
verified event is answered 200 once applied (or recognised as not ours), so Stripe stops
retrying; an automatic refund Stripe refuses answers 502, and Stripe delivers it again."""

from __future__ import annotations

import logging
from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.params import HeaderParameter, RawBody

from cloud.access import Access
from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.errors import NotFound
from cloud.orders.payments import STRIPE, provider_for
from cloud.orders.service import apply_payment_event
from cloud.orders.stripe_provider import verified_event

log = logging.getLogger("bilten.cloud.payments")


class WebhookAck(msgspec.Struct):
    event_id: str
    outcome: str


class PaymentWebhookController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]

    @post(
        "/stripe/webhook", status_code=200, sync_to_thread=True, opt={"access": Access.CAPABILITY}
    )
    def stripe_webhook(
        self,
        body: RawBody,
        db: Db,
        settings: Settings,
        stripe_signature: Annotated[str | None, HeaderParameter(name="Stripe-Signature")] = None,
    ) -> WebhookAck:
        secret = settings.stripe_webhook_secret
        if settings.payment_provider != STRIPE or not secret:
            raise NotFound("Stripe payments are not set up on this cloud")
        # The raw bytes: the signature covers them exactly as Stripe sent them.
        event = verified_event(body, stripe_signature, secret)
        with db:
            outcome = apply_payment_event(
                db,
                settings.master_key,
                provider_for(settings, STRIPE),
                event,
                now_s(),
                public_url=settings.public_url,
            )
        log.info("stripe event %s (%s): %s", event.event_id, event.type, outcome)
        return WebhookAck(event_id=event.event_id, outcome=outcome)
