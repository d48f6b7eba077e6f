"""Ticket token v1: the signed string inside a ticket's QR code.

Layout (big-endian), then Base32 (RFC 4648 alphabet, no padding), which the QR alphanumeric
mode stores at 5.5 bits a character. ``docs/ticket-token.md`` is the normative description.

    version      u8   = 1
    flags        u8   bit 0: valid_from present, bit 1: valid_until present, others zero
    key_id       u32  signing key (rotation: several keys may serve one event)
    event_id     u32
    ticket_id    12 bytes of randomness
    type_id      u32  ticket type
    issued_at    u32  Unix seconds
    valid_from   u32  optional, Unix seconds
    valid_until  u32  optional, Unix seconds
    signature    64 bytes, Ed25519 over every byte before it

Exactly one string is accepted per ticket: the decoder re-encodes what it parsed and rejects
the input unless it is that exact string (no lower case, padding, stray bits or trailing data).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import TokenRejected
from shared.keys import Keyring
from shared.reasons import Reason

VERSION = 1
TICKET_ID_BYTES = 12
SIGNATURE_BYTES = 64
FLAG_VALID_FROM = 0x01
FLAG_VALID_UNTIL = 0x02
_KNOWN_FLAGS = FLAG_VALID_FROM | FLAG_VALID_UNTIL

_HEAD = struct.Struct(">BBII12sII")
_U32 = struct.Struct(">I")
_U32_MAX = 2**32 - 1
# The longest token: every optional field present.
MAX_TOKEN_CHARS = -(-(_HEAD.size + 2 * _U32.size + SIGNATURE_BYTES) * 8 // 5)
_BASE32 = re.compile(r"[A-Z2-7]+")


@dataclass(frozen=True, slots=True)
class TicketClaims:
    """What a token asserts. Nothing personal: no name, email or order."""

    key_id: int
    event_id: int
    ticket_id: bytes
    type_id: int
    issued_at: int
    valid_from: int | None = None
    valid_until: int | None = None

    def __post_init__(self) -> None:
        if len(self.ticket_id) != TICKET_ID_BYTES:
            raise ValueError(f"ticket_id must be {TICKET_ID_BYTES} bytes")
        for name in ("key_id", "event_id", "type_id", "issued_at"):
            _check_u32(name, getattr(self, name))
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None:
                _check_u32(name, value)
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_from >= self.valid_until
        ):
            raise ValueError("valid_from must be before valid_until")

    @property
    def ticket_ref(self) -> str:
        """The ticket id as text, as every tier stores and shows it."""
        return ticket_ref(self.ticket_id)


def _check_u32(name: str, value: int) -> None:
    if not 0 <= value <= _U32_MAX:
        raise ValueError(f"{name} must fit in 32 bits, got {value}")


def ticket_ref(ticket_id: bytes) -> str:
    """Text form of a 12-byte ticket id: 20 Base32 characters."""
    return base32_encode(ticket_id)


def base32_encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


_TO_BASE32_DIGITS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv"
)


def base32_decode(text: str) -> bytes:
    """RFC 4648 Base32 without padding. Read as one base-32 integer (int() is C code; the
    stdlib's b32decode is Python, and a gate decodes on every scan)."""
    if not text or not _BASE32.fullmatch(text) or len(text) % 8 in (1, 3, 6):
        raise binascii.Error("not unpadded Base32 of a whole number of bytes")
    size, spare_bits = divmod(5 * len(text), 8)
    value = int(text.translate(_TO_BASE32_DIGITS), 32) >> spare_bits
    return value.to_bytes(size, "big")


def _body(claims: TicketClaims) -> bytes:
    flags = (FLAG_VALID_FROM if claims.valid_from is not None else 0) | (
        FLAG_VALID_UNTIL if claims.valid_until is not None else 0
    )
    body = _HEAD.pack(
        VERSION,
        flags,
        claims.key_id,
        claims.event_id,
        claims.ticket_id,
        claims.type_id,
        claims.issued_at,
    )
    if claims.valid_from is not None:
        body += _U32.pack(claims.valid_from)
    if claims.valid_until is not None:
        body += _U32.pack(claims.valid_until)
    return body


def sign_ticket(claims: TicketClaims, private_key: Ed25519PrivateKey) -> str:
    """Encode and sign ``claims``; the key must be the one ``claims.key_id`` names."""
    body = _body(claims)
    return base32_encode(body + private_key.sign(body))


_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _canonical_tail(token: str) -> bool:
    """Whether the bits the last character carries beyond the data are zero: the one way two
    Base32 texts of the same length can decode to the same bytes. (Equivalent to re-encoding
    and comparing, at a fraction of the cost on a gate's hot path.)"""
    spare_bits = (5 * len(token)) % 8
    return _B32_ALPHABET.index(token[-1]) & ((1 << spare_bits) - 1) == 0


def parse_token(token: str) -> tuple[TicketClaims, bytes, bytes]:
    """Split a token into its claims, the signed bytes and the signature, without verifying.

    Raises ``TokenRejected(UNREADABLE)`` for anything that is not a canonical v1 token.
    """
    if not token or len(token) > MAX_TOKEN_CHARS or not _BASE32.fullmatch(token):
        raise TokenRejected(Reason.UNREADABLE, "not a Bilten ticket code")
    try:
        raw = base32_decode(token)
    except binascii.Error as exc:
        raise TokenRejected(Reason.UNREADABLE, "bad Base32 length") from exc
    if not _canonical_tail(token):
        raise TokenRejected(Reason.UNREADABLE, "non-canonical encoding")
    if len(raw) < _HEAD.size + SIGNATURE_BYTES:
        raise TokenRejected(Reason.UNREADABLE, "too short")
    version, flags, key_id, event_id, tid, type_id, issued_at = _HEAD.unpack_from(raw)
    if version != VERSION:
        raise TokenRejected(Reason.UNREADABLE, f"unsupported token version {version}")
    if flags & ~_KNOWN_FLAGS:
        raise TokenRejected(Reason.UNREADABLE, "unknown flags")
    offset = _HEAD.size
    optional: list[int | None] = []
    for flag in (FLAG_VALID_FROM, FLAG_VALID_UNTIL):
        if flags & flag:
            if len(raw) < offset + _U32.size:
                raise TokenRejected(Reason.UNREADABLE, "truncated")
            optional.append(_U32.unpack_from(raw, offset)[0])
            offset += _U32.size
        else:
            optional.append(None)
    if len(raw) != offset + SIGNATURE_BYTES:
        raise TokenRejected(Reason.UNREADABLE, "wrong length")
    try:
        claims = TicketClaims(
            key_id=key_id,
            event_id=event_id,
            ticket_id=tid,
            type_id=type_id,
            issued_at=issued_at,
            valid_from=optional[0],
            valid_until=optional[1],
        )
    except ValueError as exc:
        raise TokenRejected(Reason.UNREADABLE, str(exc)) from exc
    return claims, raw[:offset], raw[offset:]


def verify_token(token: str, keyring: Keyring) -> TicketClaims:
    """Parse ``token`` and check its signature against ``keyring``.

    Guards run in a fixed order: unreadable, unknown key, forged. A key only signs tickets of
    its own event, so a valid signature by another event's key is a forgery too.
    """
    claims, body, signature = parse_token(token)
    key = keyring.get(claims.key_id)
    if key is None:
        raise TokenRejected(Reason.UNKNOWN_KEY, f"key {claims.key_id} is not known here")
    if key.event_id != claims.event_id:
        raise TokenRejected(Reason.FORGED, "key belongs to another event")
    try:
        key.public_key.verify(signature, body)
    except InvalidSignature as exc:
        raise TokenRejected(Reason.FORGED, "signature does not match") from exc
    return claims
