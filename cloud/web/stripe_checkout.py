"""The cloud's half of paying by card with Stripe on the pay page.

The browser turns the card the buyer typed into a payment method with Stripe.js (the card
number never reaches us); the cloud attaches it to the order's PaymentIntent and confirms it
with the secret key; when the bank wants the buyer to authenticate (3-D Secure), Stripe.js
shows that with the client secret. The order is marked paid only by Stripe's signed webhook
(cloud.orders.webhooks), never by this page."""

from __future__ import annotations

import re
from dataclasses import dataclass

import stripe

from cloud.errors import ConfigurationError, InvalidInput
from cloud.orders.payments import PaymentProviderError
from cloud.orders.stripe_provider import stripe_client
from cloud.settings import CloudSettings

# PaymentMethods, and the Card and Source objects Stripe accepts in their place.
_PAYMENT_METHOD = re.compile(r"^(pm|card|src)_[A-Za-z0-9]{1,200}$")


@dataclass(frozen=True, slots=True)
class IntentState:
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded...
    client_secret: str | None
    # Why the last attempt failed (a declined card), in Stripe's words for the buyer.
    problem: str | None = None


def _client(settings: CloudSettings) -> stripe.StripeClient:
    if not settings.stripe_secret_key:
        raise ConfigurationError("Stripe payments need BILTEN_STRIPE_SECRET_KEY")
    return stripe_client(settings.stripe_secret_key, settings.stripe_api_base)


def _state(intent: stripe.PaymentIntent) -> IntentState:
    error = intent.last_payment_error
    problem = error.message if error is not None and error.message else None
    return IntentState(intent.status, intent.client_secret, problem)


def intent_state(settings: CloudSettings, payment_ref: str) -> IntentState:
    """Where the order's PaymentIntent stands, with the client secret the page needs."""
    try:
        intent = _client(settings).v1.payment_intents.retrieve(payment_ref)
    except stripe.StripeError as exc:
        raise PaymentProviderError(_explain(exc)) from exc
    return _state(intent)


def pay_with(settings: CloudSettings, payment_ref: str, payment_method: str) -> IntentState:
    """Attach the buyer's payment method to the PaymentIntent and confirm it. A declined card
    comes back as ``problem``, for the buyer to try another."""
    if not _PAYMENT_METHOD.match(payment_method):
        raise InvalidInput("the card details did not come through; please enter them again")
    client = _client(settings)
    try:
        # Two calls, not confirm(payment_method=...): Stripe accepts both, and this form also
        # works with test servers that implement only the basic calls.
        client.v1.payment_intents.update(payment_ref, params={"payment_method": payment_method})
        intent = client.v1.payment_intents.confirm(payment_ref)
    except stripe.CardError as exc:
        return IntentState("requires_payment_method", None, _explain(exc))
    except stripe.StripeError as exc:
        raise PaymentProviderError(_explain(exc)) from exc
    return _state(intent)


def _explain(exc: stripe.StripeError) -> str:
    # Stripe's user message says what went wrong (declined, expired) and never carries a key.
    return exc.user_message or "the payment service did not answer; please try again"
