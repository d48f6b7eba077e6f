from __future__ import annotations

from typing import Annotated

import msgspec

from cloud.notifications.holders import MAX_BODY, MAX_SUBJECT


class HolderMessageIn(msgspec.Struct, forbid_unknown_fields=True):
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SUBJECT)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY)]
    # Also a text message to buyers whose account has a confirmed mobile number.
    texts: bool = False
    # A UUID the client chooses: sending again with it queues nothing twice.
    key: str | None = None


class HolderMessageOut(msgspec.Struct):
    message_id: str
    subject: str
    body: str
    created_at: int
    emails: int
    texts: int
    # How far the copies have gone: waiting, handed over, given up on.
    queued: int
    sent: int
    dead: int


class RecipientsOut(msgspec.Struct):
    """Whom a message would reach now."""

    emails: int
    texts: int
    unreachable: int
