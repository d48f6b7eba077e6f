"""Hostile input at the gate: generated tickets, scan batches and pairing codes.

A forgery is any input that verifies without being a token the event's key signed. Every
target below must answer each input with its own deliberate refusal (``TokenRejected``,
``ProtocolError``, ``PairingPayloadError``) or a correct acceptance: any other exception is a
crash, and a forged or altered ticket that verifies fails the run.

Quick mode (the normal suite) tries a few thousand inputs; ``BILTEN_LONG=1`` tries at least
100,000 per target. The counts are printed under "figures" at the end of the run.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import PairingPayloadError, ProtocolError, TokenRejected
from shared.ids import new_scan_id
from shared.keys import Keyring, VerifyKey
from shared.messages import ScanBatch, decode, encode
from shared.pairing import PairingPayload, build_payload, parse_payload
from shared.reasons import Reason
from shared.token import (
    MAX_TOKEN_CHARS,
    TicketClaims,
    base32_decode,
    base32_encode,
    sign_ticket,
    verify_token,
)
from tests.support import LONG, figure, quick_or_long

EVENT_KEY = Ed25519PrivateKey.generate()
OTHER_EVENT_KEY = Ed25519PrivateKey.generate()
ATTACKER_KEY = Ed25519PrivateKey.generate()
KEYRING = Keyring(
    [VerifyKey(1, 10, EVENT_KEY.public_key()), VerifyKey(2, 20, OTHER_EVENT_KEY.public_key())]
)

# Genuine tickets of event 10: with no window, a start, an end and both.
GENUINE = [
    sign_ticket(
        TicketClaims(
            key_id=1,
            event_id=10,
            ticket_id=bytes([n]) * 12,
            type_id=3,
            issued_at=1_700_000_000,
            valid_from=window[0],
            valid_until=window[1],
        ),
        EVENT_KEY,
    )
    for n, window in enumerate([(None, None), (1_700_000_000, None), (None, 1_800_000_000), (1, 2)])
]
GENUINE_SET = frozenset(GENUINE)
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

FUZZ = settings(
    max_examples=quick_or_long(1_000, 100_000),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TRIED: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Any:
    yield
    if request.session.testsfailed:
        return
    for target, count in sorted(TRIED.items()):
        figure(
            f"hostile input {target}",
            inputs=count,
            accepted=OUTCOMES[f"{target} accepted"],
            forgeries=0,
            crashes=0,
            mode="long" if LONG else "quick",
        )


def _verdict(token: str) -> str:
    """Verify ``token``; fail on a forgery, and on anything but a refusal with a reason."""
    TRIED["token"] += 1
    try:
        claims = verify_token(token, KEYRING)
    except TokenRejected as refused:
        assert refused.reason in {Reason.UNREADABLE, Reason.UNKNOWN_KEY, Reason.FORGED}
        return refused.reason.value
    assert token in GENUINE_SET, f"FORGERY ACCEPTED: {token!r} verified as {claims}"
    OUTCOMES["token accepted"] += 1
    return "admitted"


# Mutations of a genuine ticket's bytes: flipped bits, replaced, inserted and deleted bytes,
# truncation and extension; then spelled in Base32 as a real QR would carry them.
_edit = st.one_of(
    st.tuples(st.just("xor"), st.integers(0, 200), st.integers(1, 255)),
    st.tuples(st.just("set"), st.integers(0, 200), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 200), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 200), st.just(0)),
    st.tuples(st.just("truncate"), st.integers(0, 200), st.just(0)),
)


def _mutate(raw: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(raw)
    for kind, position, value in edits:
        at = position % (len(data) + 1)
        if kind == "xor" and data:
            data[at % len(data)] ^= value
        elif kind == "set" and data:
            data[at % len(data)] = value
        elif kind == "insert":
            data.insert(at, value)
        elif kind == "delete" and data:
            del data[at % len(data)]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


@FUZZ
@given(st.sampled_from(GENUINE), st.lists(_edit, min_size=1, max_size=6))
def test_altered_tickets_never_verify(genuine: str, edits: list[tuple[str, int, int]]) -> None:
    raw = _mutate(base32_decode(genuine), edits)
    token = base32_encode(raw) if raw else ""
    verdict = _verdict(token)
    if token != genuine:
        assert verdict != "admitted"


@FUZZ
@given(
    st.one_of(
        st.text(max_size=MAX_TOKEN_CHARS + 20),
        st.text(alphabet=B32, max_size=MAX_TOKEN_CHARS + 4),
        st.text(alphabet=B32 + "abcxyz0189=-_ \n", min_size=150, max_size=MAX_TOKEN_CHARS + 2),
        st.binary(max_size=140).map(lambda b: base64.b32encode(b).decode()),
    )
)
def test_arbitrary_text_never_verifies(text: str) -> None:
    assert _verdict(text) != "admitted" or text in GENUINE_SET


_claims = st.builds(
    TicketClaims,
    key_id=st.sampled_from([1, 2, 3, 0, 2**32 - 1]),
    event_id=st.sampled_from([10, 20, 11, 0, 2**32 - 1]),
    ticket_id=st.binary(min_size=12, max_size=12),
    type_id=st.integers(0, 2**32 - 1),
    issued_at=st.integers(0, 2**32 - 1),
    valid_from=st.none(),
    valid_until=st.none() | st.integers(1, 2**32 - 1),
)


@FUZZ
@given(_claims, st.sampled_from(["attacker", "other event", "event"]))
def test_tickets_signed_by_the_wrong_key_or_for_another_event_never_verify(
    claims: TicketClaims, signer: str
) -> None:
    """Any claims signed by an attacker's key; the real key of event 20 signing claims that
    name event 10's key; event 10's key signing a ticket for another event."""
    key = {"attacker": ATTACKER_KEY, "other event": OTHER_EVENT_KEY, "event": EVENT_KEY}[signer]
    token = sign_ticket(claims, key)
    genuine = (signer == "event" and claims.key_id == 1 and claims.event_id == 10) or (
        signer == "other event" and claims.key_id == 2 and claims.event_id == 20
    )
    TRIED["token"] += 1
    try:
        verified = verify_token(token, KEYRING)
    except TokenRejected as refused:
        assert not genuine, f"a genuine ticket was refused: {refused}"
        return
    assert genuine, f"FORGERY ACCEPTED: {claims} signed by the {signer} key"
    assert verified == claims


@FUZZ
@given(st.sampled_from(GENUINE), st.sampled_from(GENUINE))
def test_a_signature_moved_onto_other_claims_never_verifies(one: str, other: str) -> None:
    body = base32_decode(one)[:-64]
    signature = base32_decode(other)[-64:]
    token = base32_encode(body + signature)
    assert (_verdict(token) == "admitted") == (one == other)


def test_a_malleated_signature_does_not_verify() -> None:
    """Ed25519's S + L spells the same signature on lax verifiers; ours must refuse it, so a
    ticket has exactly one valid code."""
    order = 2**252 + 27742317777372353535851937790883648493
    for token in GENUINE:
        raw = base32_decode(token)
        s = int.from_bytes(raw[-32:], "little") + order
        if s >= 2**256:
            continue
        with pytest.raises(TokenRejected) as refused:
            verify_token(base32_encode(raw[:-32] + s.to_bytes(32, "little")), KEYRING)
        assert refused.value.reason is Reason.FORGED


# Scan batches: mutations of a well-formed batch, and arbitrary JSON.
def _scan(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "scan_id": new_scan_id(),
        "device_id": "d1",
        "device_name": "Gate 1",
        "gate": "North",
        "hlc": "000000000000001-00000-d1",
        "scanned_at_ms": 1_700_000_000_000,
        "reason": "admitted",
        "event_id": 10,
        "ticket_id": "A" * 20,
    }
    base.update(overrides)
    return base


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
SCAN_FIELDS = sorted(_scan())
hostile_scan = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(SCAN_FIELDS, json_values),
        "direction": st.sampled_from(["entry", "exit", "sideways"]) | json_values,
        "manual": json_values,
        "note": json_values,
        "raw": json_values,
    },
).map(lambda overrides: _scan(**overrides))


EDGE_VALUES = st.sampled_from(
    [2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, -1, 0, 1e308, -0.0, "", "\x00"]
)
# A well-formed scan with one field made hostile: what gets furthest into an intake.
one_bad_field = st.tuples(
    st.sampled_from([*SCAN_FIELDS, "direction", "manual", "note", "raw", "zone", "staff"]),
    EDGE_VALUES | json_values | st.text(max_size=600),
).map(lambda pair: _scan(**{pair[0]: pair[1]}))


def hostile_batch_bytes() -> st.SearchStrategy[bytes]:
    scans = st.lists(hostile_scan | one_bad_field | st.builds(_scan), max_size=3)
    batch = st.fixed_dictionaries(
        {"v": st.just(1) | json_values, "scans": scans | json_values},
        optional={"extra": json_values},
    )
    nearly_right = st.fixed_dictionaries(
        {
            "v": st.just(1),
            "scans": st.lists(one_bad_field | st.builds(_scan), min_size=1, max_size=3),
        }
    ).map(lambda b: json.dumps(b).encode())
    return st.one_of(
        nearly_right,
        nearly_right,
        nearly_right,
        batch.map(lambda b: json.dumps(b).encode()),
        json_values.map(lambda b: json.dumps(b).encode()),
        st.binary(max_size=300),
        st.tuples(batch, st.integers(0, 400), st.binary(min_size=1, max_size=3)).map(
            lambda t: _splice(json.dumps(t[0]).encode(), t[1], t[2])
        ),
    )


def _splice(data: bytes, at: int, junk: bytes) -> bytes:
    at %= len(data) + 1
    return data[:at] + junk + data[at + len(junk) :]


@FUZZ
@given(hostile_batch_bytes())
def test_scan_batches_are_decoded_or_refused_with_a_reason(body: bytes) -> None:
    TRIED["scan batch"] += 1
    try:
        batch = decode(body, ScanBatch)
    except ProtocolError as refused:
        assert str(refused)
        return
    OUTCOMES["scan batch accepted"] += 1
    # What is accepted is exactly what the protocol allows, and survives a round trip.
    assert batch.v == 1
    assert decode(encode(batch), ScanBatch) == batch


CODE_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
made_by_a_venue = st.builds(
    build_payload,
    st.sampled_from(
        ["http://192.168.1.20:8100", "https://venue.example.org/bilten", "http://[fd00::2]:8100"]
    ),
    st.text(alphabet=CODE_CHARS, min_size=8, max_size=8),
)
pairing_text = st.one_of(
    made_by_a_venue,
    st.tuples(made_by_a_venue, st.integers(0, 120), st.text(min_size=1, max_size=2)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]) :]
    ),
    st.text(max_size=120),
    st.text(max_size=80).map(lambda t: "bilten-pair:" + t),
    st.tuples(
        st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "", "//"]),
        st.text(max_size=40),
        st.sampled_from(["#", "##", ""]),
        st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789-01IO ", max_size=12),
    ).map(lambda t: "bilten-pair:" + "".join(t)),
)


@FUZZ
@given(pairing_text)
def test_pairing_payloads_are_read_or_refused_saying_what_is_wrong(text: str) -> None:
    TRIED["pairing payload"] += 1
    try:
        payload = parse_payload(text)
    except PairingPayloadError as refused:
        assert refused.field in {"payload", "url", "code"}
        return
    OUTCOMES["pairing payload accepted"] += 1
    # What is accepted is a payload the venue could have made, and reads back the same.
    assert isinstance(payload, PairingPayload)
    assert parse_payload(build_payload(payload.venue_url, payload.code)) == payload
