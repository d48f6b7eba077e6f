from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import TokenRejected
from shared.keys import Keyring, VerifyKey
from shared.reasons import Reason
from shared.token import (
    MAX_TOKEN_CHARS,
    TicketClaims,
    base32_decode,
    base32_encode,
    parse_token,
    sign_ticket,
    verify_token,
)

KEY = Ed25519PrivateKey.generate()
KEYRING = Keyring([VerifyKey(1, 10, KEY.public_key())])


def claims(**overrides) -> TicketClaims:
    base = {"key_id": 1, "event_id": 10, "ticket_id": b"\x01" * 12, "type_id": 2, "issued_at": 5}
    base.update(overrides)
    return TicketClaims(**base)


def test_every_single_character_change_is_rejected():
    token = sign_ticket(claims(), KEY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for i, ch in enumerate(token):
        other = alphabet[(alphabet.index(ch) + 1) % 32]
        with pytest.raises(TokenRejected):
            verify_token(token[:i] + other + token[i + 1 :], KEYRING)


def test_nothing_personal_fits_in_the_token():
    fields = set(TicketClaims.__dataclass_fields__)
    assert fields == {
        "key_id",
        "event_id",
        "ticket_id",
        "type_id",
        "issued_at",
        "valid_from",
        "valid_until",
    }


def test_validity_window_must_be_ordered():
    with pytest.raises(ValueError):
        claims(valid_from=10, valid_until=10)


def test_ids_must_fit_the_format():
    with pytest.raises(ValueError):
        claims(event_id=2**32)
    with pytest.raises(ValueError):
        claims(ticket_id=b"short")


def test_longest_token_is_within_the_parse_limit():
    token = sign_ticket(claims(valid_from=1, valid_until=2), KEY)
    assert len(token) == MAX_TOKEN_CHARS
    assert verify_token(token, KEYRING).valid_until == 2


def test_overlong_input_is_refused_before_any_work():
    with pytest.raises(TokenRejected) as caught:
        parse_token("A" * 10_000)
    assert caught.value.reason is Reason.UNREADABLE


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_never_accepted(text):
    with pytest.raises(TokenRejected):
        verify_token(text, KEYRING)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=120))
def test_arbitrary_bytes_in_base32_are_never_accepted(data):
    import base64

    text = base64.b32encode(data).decode().rstrip("=")
    with pytest.raises(TokenRejected) as caught:
        verify_token(text, KEYRING)
    assert caught.value.reason in {Reason.UNREADABLE, Reason.UNKNOWN_KEY, Reason.FORGED}


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=31), st.booleans())
def test_only_the_canonical_spelling_of_a_token_is_accepted(last: int, with_window: bool):
    """Changing the last character's spare bits keeps the bytes but must not keep the ticket
    readable: one ticket, one spelling."""
    claims = TicketClaims(
        key_id=1,
        event_id=2,
        ticket_id=b"\x07" * 12,
        type_id=3,
        issued_at=4,
        valid_from=5 if with_window else None,
    )
    token = sign_ticket(claims, Ed25519PrivateKey.generate())
    variant = token[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last]
    decodes_alike = base32_encode(base32_decode(variant)) == token
    if variant == token:
        assert parse_token(variant)[0] == claims
    elif decodes_alike:
        with pytest.raises(TokenRejected) as rejected:
            parse_token(variant)
        assert rejected.value.reason is Reason.UNREADABLE
