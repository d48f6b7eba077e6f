"""The root of every error Bilten raises on purpose, and the ones the shared core raises."""

from __future__ import annotations

from typing import Literal

from shared.reasons import Reason


class BiltenError(Exception):
    """Root of all deliberate Bilten errors; each tier derives its own root from it."""


class TokenRejected(BiltenError):
    """A ticket token that cannot be admitted on its own merits (format, key or signature)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class ProtocolError(BiltenError):
    """A sync message that is malformed, of an unsupported version or inconsistent."""


class KeyFileError(BiltenError):
    """A public key file that cannot be read."""


class PairingPayloadError(BiltenError, ValueError):
    """A pairing QR payload, venue server URL or pairing code that cannot be used.

    ``field`` names the part that is wrong (``payload``, ``url`` or ``code``), so a form can
    show the message next to the right box.
    """

    def __init__(self, field: Literal["payload", "url", "code"], detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail
