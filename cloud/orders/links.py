"""The link to a buyer's order page, put in the emails that carry its tickets.

An order opens with the token its hold was made with (cloud.web.orders), and the database
keeps only that token's digest. So that a payment confirmed later (the provider's webhook)
or tickets asked for again (cloud.orders.lost_tickets) can still link to the page, checkout
also keeps the token sealed with the master key (AES-GCM, bound to the order's reference),
as event signing keys are kept: the database alone does not give it away.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloud.orders.models import Order

_NONCE_BYTES = 12


def _associated_data(reference: str) -> bytes:
    return b"bilten-order-token/v1:" + reference.encode("ascii")


def seal_token(master_key: bytes, reference: str, token: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(
        nonce, token.encode("ascii"), _associated_data(reference)
    )


def order_url(public_url: str | None, master_key: bytes, order: Order) -> str | None:
    """The address of the order's page, or None: no ``public_url`` to build it on, an order
    from before tokens were kept, or a sealed token that does not open (another master key,
    a tampered row). The email then goes without the link."""
    sealed = order.sealed_token
    if public_url is None or not sealed:
        return None
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        token = AESGCM(master_key).decrypt(nonce, ciphertext, _associated_data(order.reference))
    except InvalidTag:
        return None
    return f"{public_url.rstrip('/')}/orders/{token.decode('ascii')}"
