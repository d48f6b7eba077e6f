"""Errors the scanner raises on purpose, under one root."""

from __future__ import annotations

from shared.errors import BiltenError


class ScannerError(BiltenError):
    """Root of every deliberate scanner error."""


class NotPaired(ScannerError):
    """This device has no venue pairing yet, so it cannot stamp or upload scans."""

    def __init__(self) -> None:
        super().__init__(
            "this scanner is not paired with a venue; pair it first with "
            "`bilten scanner pair --venue URL --code CODE --name NAME`"
        )


class StoreError(ScannerError):
    """The local database failed; a scan that hit this is NOT recorded."""


class SourceError(ScannerError):
    """A frame source (camera, image, folder, video) cannot be opened or read."""


class VenueUnreachable(ScannerError):
    """The venue server did not answer: the normal offline state, not a fault."""


class VenueRefused(ScannerError):
    """The venue server answered with an error status."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"venue server answered {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail

    @property
    def unauthorized(self) -> bool:
        return self.status_code in (401, 403)
