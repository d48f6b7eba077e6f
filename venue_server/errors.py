"""The venue server's errors: one root, typed subclasses, mapped to HTTP once in ``app``."""

from __future__ import annotations

from shared.errors import BiltenError


class VenueError(BiltenError):
    """Root of every deliberate venue server error."""


class SettingsError(VenueError):
    """A setting from the environment or the command line that cannot be used."""


class NotPaired(VenueError):
    """The venue server has not been paired with a cloud yet."""


class DeviceUnauthorized(VenueError):
    """A scanner request without a valid, unrevoked device token."""


class PairingRefused(VenueError):
    """A pairing code that is unknown, already used or expired."""


class ForeignScan(VenueError):
    """A device uploaded a scan that another device made."""


class BadRequest(VenueError):
    """A request that is well-formed HTTP but asks for something impossible (e.g. a bad cursor)."""


class CloudError(VenueError):
    """The cloud could not be used for this sync round."""


class CloudUnreachable(CloudError):
    """No answer from the cloud: no route, refused connection or timeout."""


class CloudRefused(CloudError):
    """The cloud answered but refused the venue key."""
