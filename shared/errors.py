"""The root of every error Bilten raises on purpose, and the ones the shared core raises."""

from __future__ import annotations

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
