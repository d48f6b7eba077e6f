"""How sending one message can fail, whatever the channel."""

from __future__ import annotations


class SendFailed(Exception):
    """Sending one message failed. ``permanent``: the server refused this message for good
    (an SMTP 5xx, a provider's "invalid number"), so retrying it is pointless.
    ``connection``: the server could not be reached or refused us as a client, so the
    other messages would fail the same way for now."""

    def __init__(self, detail: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.connection = connection
