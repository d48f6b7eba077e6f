"""Payment providers. Checkout asks one to start a payment for a pending order; it either
takes the money at once (``local``) or answers pending, and its webhook later confirms the
payment through ``cloud.orders.service.confirm_payment``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from cloud.errors import CloudError, ConfigurationError
from cloud.orders.models import Order

if TYPE_CHECKING:
    from cloud.settings import CloudSettings


class PaymentState(StrEnum):
    PAID = "paid"
    PENDING = "pending"


class PaymentProviderError(CloudError):
    """The payment provider refused or could not be reached; nothing changed here."""

    status_code = 502


@dataclass(frozen=True, slots=True)
class PaymentStart:
    state: PaymentState
    # The provider's id for this payment, matched against its webhooks.
    payment_ref: str
    # What the buyer's browser needs to finish paying (e.g. a client secret), if anything.
    client_secret: str | None = None


class PaymentEventKind(StrEnum):
    SUCCEEDED = "succeeded"  # the money was taken
    FAILED = "failed"  # the payment will not happen (declined, cancelled)
    REFUNDED = "refunded"  # money went back, e.g. from the provider's own dashboard
    OTHER = "other"  # nothing the cloud acts on


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """What a provider's verified webhook says, in the provider's words where it matters."""

    provider: str
    event_id: str
    type: str
    kind: PaymentEventKind
    payment_ref: str | None = None
    # The payment's amount (minor units) and ISO currency; for a refund, how much went back.
    amount: int | None = None
    currency: str | None = None
    # For a refund: all of the payment went back (a partial refund leaves the order valid).
    whole_refund: bool = False


class PaymentProvider(Protocol):
    name: str

    def start(self, order: Order) -> PaymentStart:
        """Begin taking ``order.total`` in ``order.currency``."""
        ...

    def resume(self, order: Order) -> PaymentStart | None:
        """The unfinished payment of a pending order again, for the buyer to complete."""
        ...

    def refund(self, order: Order) -> None:
        """Give a paid order's money back; raises PaymentProviderError when it could not."""
        ...

    def cancel(self, order: Order) -> None:
        """Stop an unfinished payment so that it can no longer take money."""
        ...


class LocalProvider:
    """The embedded demo's provider: every payment succeeds at once, no money moves."""

    name = "local"

    def start(self, order: Order) -> PaymentStart:
        return PaymentStart(PaymentState.PAID, payment_ref=f"local_{order.reference}")

    def resume(self, order: Order) -> PaymentStart | None:
        del order
        return None  # paid at once: there is never anything left to complete

    def refund(self, order: Order) -> None:
        del order

    def cancel(self, order: Order) -> None:
        del order


FREE = "free"  # recorded as the provider of orders that cost nothing and skipped payment
STRIPE = "stripe"
KNOWN_PROVIDERS = ("local", STRIPE)

# Which provider took an order's money, by the name recorded on the order.
ProviderLookup = Callable[[str], PaymentProvider]


def provider_for(settings: CloudSettings, name: str | None = None) -> PaymentProvider:
    """The provider called ``name`` (default: the one new orders use), set up from
    ``settings``. An order keeps the name of the provider that took its money, so refunds
    still reach it after the cloud moved to another."""
    chosen = settings.payment_provider if name is None else name
    if chosen == "local":
        return LocalProvider()
    if chosen == STRIPE:
        if not settings.stripe_secret_key:
            raise ConfigurationError("Stripe payments need BILTEN_STRIPE_SECRET_KEY")
        return _stripe(settings.stripe_secret_key, settings.stripe_api_base)
    known = ", ".join(KNOWN_PROVIDERS)
    raise ConfigurationError(f"unknown payment provider {chosen!r}; use one of: {known}")


@functools.lru_cache(maxsize=4)
def _stripe(secret_key: str, api_base: str | None) -> PaymentProvider:
    """One client per account, so its HTTP connections to Stripe are reused."""
    from cloud.orders.stripe_provider import StripeProvider

    return StripeProvider(secret_key, api_base)


def provider_lookup(settings: CloudSettings) -> ProviderLookup:
    return lambda name: provider_for(settings, name)
