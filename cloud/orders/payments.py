"""Payment providers. Checkout asks one to start a payment for a pending order; it either
takes the money at once (``local``) or answers pending, and its webhook later confirms the
payment through ``cloud.orders.service.confirm_payment``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from cloud.errors import ConfigurationError
from cloud.orders.models import Order


class PaymentState(StrEnum):
    PAID = "paid"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class PaymentStart:
    state: PaymentState
    # The provider's id for this payment, matched against its webhooks.
    payment_ref: str
    # What the buyer's browser needs to finish paying (e.g. a client secret), if anything.
    client_secret: str | None = None


class PaymentProvider(Protocol):
    name: str

    def start(self, order: Order) -> PaymentStart:
        """Begin taking ``order.total`` in ``order.currency``."""
        ...

    def refund(self, order: Order) -> None:
        """Give a paid order's money back."""
        ...


class LocalProvider:
    """The embedded demo's provider: every payment succeeds at once, no money moves."""

    name = "local"

    def start(self, order: Order) -> PaymentStart:
        return PaymentStart(PaymentState.PAID, payment_ref=f"local_{order.reference}")

    def refund(self, order: Order) -> None:
        del order


FREE = "free"  # recorded as the provider of orders that cost nothing and skipped payment

_PROVIDERS: dict[str, type[LocalProvider]] = {"local": LocalProvider}


def provider_named(name: str) -> PaymentProvider:
    try:
        return _PROVIDERS[name]()
    except KeyError:
        known = ", ".join(sorted(_PROVIDERS))
        raise ConfigurationError(
            f"unknown payment provider {name!r}; use one of: {known}"
        ) from None
