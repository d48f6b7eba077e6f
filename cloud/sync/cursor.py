"""The opaque manifest cursor: for each event, the last change number the venue has seen."""

from __future__ import annotations

import base64
import binascii

import msgspec

from cloud.errors import InvalidInput


class _Position(msgspec.Struct, forbid_unknown_fields=True):
    v: int
    e: dict[str, int]


def encode_cursor(positions: dict[int, int]) -> str:
    body = msgspec.json.encode(_Position(v=1, e={str(k): v for k, v in sorted(positions.items())}))
    return base64.urlsafe_b64encode(body).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> dict[int, int]:
    if not cursor:
        return {}
    try:
        body = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = msgspec.json.decode(body, type=_Position)
        positions = {int(k): int(v) for k, v in position.e.items()}
    except (binascii.Error, msgspec.DecodeError, ValueError) as exc:
        raise InvalidInput("cursor is not one this server handed out") from exc
    if position.v != 1 or any(v < 0 for v in positions.values()):
        raise InvalidInput("cursor is not one this server handed out")
    return positions
