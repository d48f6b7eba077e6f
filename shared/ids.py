"""Identifiers made on devices without asking anyone: unique, and sortable by creation time."""

from __future__ import annotations

import secrets
import time
import uuid

from shared.token import TICKET_ID_BYTES


def new_scan_id() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000
    value = (ms & (2**48 - 1)) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC variant
    return str(uuid.UUID(int=value))


def new_ticket_id() -> bytes:
    """96 random bits: unguessable, so a ticket id alone grants nothing."""
    return secrets.token_bytes(TICKET_ID_BYTES)


def new_device_id() -> str:
    return "d" + secrets.token_hex(6)
