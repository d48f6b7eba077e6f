"""The secret links put in emails: a buyer's order page, and the page of a ticket given to
someone (cloud.orders.giving).

An order opens with the token its hold was made with (cloud.web.orders), and the database
keeps only that token's digest. So that a payment confirmed later (the provider's webhook)
or tickets asked for again (cloud.orders.lost_tickets) can still link to the page, checkout
also keeps the token sealed with the master key (AES-GCM, bound to the order's reference),
as event signing keys are kept: the database alone does not give it away. A given ticket's
link is kept the same way, bound to the ticket's reference.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloud.orders.models import Order, TicketLink

_NONCE_BYTES = 12
_ORDER = b"bilten-order-token/v1:"
_TICKET = b"bilten-ticket-link/v1:"


def _seal(master_key: bytes, purpose: bytes, bound_to: str, token: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    associated = purpose + bound_to.encode("ascii")
    return nonce + AESGCM(master_key).encrypt(nonce, token.encode("ascii"), associated)


def _unseal(master_key: bytes, purpose: bytes, bound_to: str, sealed: bytes) -> str | None:
    """The token, or None when it does not open (another master key, a tampered row)."""
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        token = AESGCM(master_key).decrypt(nonce, ciphertext, purpose + bound_to.encode("ascii"))
    except InvalidTag:
        return None
    return token.decode("ascii")


def seal_token(master_key: bytes, reference: str, token: str) -> bytes:
    return _seal(master_key, _ORDER, reference, token)


def seal_ticket_link(master_key: bytes, ticket_ref: str, token: str) -> bytes:
    return _seal(master_key, _TICKET, ticket_ref, token)


def order_url(public_url: str | None, master_key: bytes, order: Order) -> str | None:
    """The address of the order's page, or None: no ``public_url`` to build it on, an order
    from before tokens were kept, or a sealed token that does not open. The email then goes
    without the link."""
    if public_url is None or not order.sealed_token:
        return None
    token = _unseal(master_key, _ORDER, order.reference, order.sealed_token)
    return None if token is None else f"{public_url.rstrip('/')}/orders/{token}"


def ticket_path(master_key: bytes, ticket_ref: str, link: TicketLink | None) -> str | None:
    """The path of a given ticket's page, or None: a ticket given before links were kept, or
    a sealed token that does not open."""
    if link is None:
        return None
    token = _unseal(master_key, _TICKET, ticket_ref, link.sealed_token)
    return None if token is None else f"/tickets/{token}"
