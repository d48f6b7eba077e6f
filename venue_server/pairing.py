"""Scanner pairing and device authentication.

A manager makes a one-time code on the venue machine; a scanner trades it for a device token.
Codes and tokens are stored only as SHA-256 hashes: both are long random secrets, so a plain
hash is enough and lets a lookup be one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

from shared.ids import new_device_id
from shared.messages import PairRequest, PairResponse
from shared.pairing import CODE_ALPHABET, CODE_LENGTH, build_payload, normalize_code
from shared.qr import make_qr
from venue_server.errors import BadRequest, DeviceUnauthorized
from venue_server.store import Device, VenueStore

# last_seen is for the manager's "which gates are online" view; a write per poll is waste.
TOUCH_EVERY_SECONDS = 10


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_pairing_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def pairing_qr_svg(venue_url: str, code: str, scale: int = 8) -> str:
    """The pairing QR for ``code`` as inline SVG text, for a page that shows it to a scanner."""
    svg: str = make_qr(build_payload(venue_url, code)).svg_inline(scale=scale, border=4)
    return svg


def issue_pairing_code(store: VenueStore, gate: str, ttl_seconds: int, now: int) -> str:
    gate = gate.strip()
    if not 1 <= len(gate) <= 64:
        raise BadRequest("a gate name has 1 to 64 characters")
    code = new_pairing_code()
    store.add_pairing_code(sha256_hex(normalize_code(code)), gate, now, now + ttl_seconds)
    return code


def pair_device(store: VenueStore, request: PairRequest, now: int) -> PairResponse:
    token = secrets.token_urlsafe(32)
    device = store.redeem_pairing_code(
        sha256_hex(normalize_code(request.code)),
        new_device_id(),
        request.device_name.strip() or request.device_name,
        sha256_hex(token),
        now,
    )
    return PairResponse(
        device_id=device.device_id,
        device_token=token,
        venue_name=store.venue_name(),
        gate=device.gate,
    )


def authenticate(store: VenueStore, authorization: str | None, now: int) -> Device:
    """The device behind an ``Authorization: Bearer <device token>`` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DeviceUnauthorized("a device token is required (Authorization: Bearer ...)")
    device = store.device_by_token(sha256_hex(token.strip()))
    if device is None:
        raise DeviceUnauthorized("unknown device token; pair this scanner again")
    if device.revoked:
        raise DeviceUnauthorized("this device has been revoked; pair it again")
    if device.last_seen is None or now - device.last_seen >= TOUCH_EVERY_SECONDS:
        store.touch_device(device.device_id, now)
    return device
