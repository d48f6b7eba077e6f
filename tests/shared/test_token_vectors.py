"""The written token spec and the code agree, vector by vector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import TokenRejected
from shared.keys import Keyring, VerifyKey, decode_public_key, encode_public_key
from shared.qr import qr_version
from shared.token import TicketClaims, sign_ticket, verify_token

VECTORS = json.loads((Path(__file__).parents[2] / "docs" / "ticket-token-vectors.json").read_text())
PRIVATE = {
    k["key_id"]: Ed25519PrivateKey.from_private_bytes(bytes.fromhex(k["seed_hex"]))
    for k in VECTORS["keys"]
}
KEYRING = Keyring(
    VerifyKey(k["key_id"], k["event_id"], decode_public_key(k["public_key"]))
    for k in VECTORS["keys"]
)


def claims_of(vector: dict) -> TicketClaims:
    c = dict(vector["claims"])
    from shared.token import base32_decode

    c["ticket_id"] = base32_decode(c["ticket_id"])
    return TicketClaims(**c)


def test_public_keys_match_their_seeds():
    for key in VECTORS["keys"]:
        assert encode_public_key(PRIVATE[key["key_id"]].public_key()) == key["public_key"]


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_signing_produces_the_exact_token(vector):
    claims = claims_of(vector)
    assert sign_ticket(claims, PRIVATE[claims.key_id]) == vector["token"]


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_verify_to_their_claims(vector):
    assert verify_token(vector["token"], KEYRING) == claims_of(vector)


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_tokens_fit_a_small_qr_code(vector):
    # Version 10 at level M is the ceiling the format promises; we do much better.
    assert qr_version(vector["token"]) <= 7


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_rejected_for_their_reason(vector):
    with pytest.raises(TokenRejected) as caught:
        verify_token(vector["token"], KEYRING)
    assert caught.value.reason.value == vector["reason"]
