"""The cloud's one root exception. Services raise these; the app maps them to HTTP once."""

from __future__ import annotations

from shared.errors import BiltenError


class CloudError(BiltenError):
    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(CloudError):
    status_code = 400


class Unauthorized(CloudError):
    status_code = 401


class Forbidden(CloudError):
    status_code = 403


class NotFound(CloudError):
    status_code = 404


class Conflict(CloudError):
    status_code = 409


class Unavailable(CloudError):
    status_code = 503


class ConfigurationError(CloudError):
    """Settings or database state that keeps the cloud from starting."""
