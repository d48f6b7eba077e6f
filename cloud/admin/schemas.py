from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec


class AdminUserOut(msgspec.Struct):
    user_id: int
    email: str
    name: str
    created_at: int
    email_verified: bool
    is_admin: bool
    suspended: bool


class AdminOrganisationOut(msgspec.Struct):
    org_id: int
    name: str
    created_at: int
    members: int
    suspended: bool
    # "pending" (waits for approval, cannot publish), "approved" or "suspended".
    state: str = "approved"
    approved_at: int | None = None


class AdminEventOut(msgspec.Struct):
    event_id: int
    name: str
    org_id: int
    organisation: str
    venue: str
    starts_at: int
    ends_at: int
    # "draft", "published" or "hidden" (taken off sale by an admin, with hidden_reason).
    state: str
    sold: int
    hidden_at: int | None
    hidden_reason: str | None


Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class HideIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class DaySalesOut(msgspec.Struct):
    day: date
    orders: int
    tickets: int
    revenue: dict[str, int]


class VenueSeenOut(msgspec.Struct):
    venue_id: int
    name: str
    organisation: str
    last_seen_at: int | None
    online: bool


class ActiveEventOut(msgspec.Struct):
    event_id: int
    name: str
    organisation: str
    starts_at: int
    sold: int


class FiguresOut(msgspec.Struct):
    """Sales of the last ``days`` days (orders paid and not refunded since), refunds in that
    time, and what the platform holds now."""

    days: list[DaySalesOut]
    revenue: dict[str, int]
    orders: int
    tickets: int
    refunds: int
    active_events: int
    top_events: list[ActiveEventOut]
    users: int
    organisations: int
    pending_organisations: int
    venues: list[VenueSeenOut]
    venues_online: int


class OutboxMessageOut(msgspec.Struct):
    message_id: str
    channel: str
    recipient: str
    template: str
    status: str
    attempts: int
    next_attempt_at: int | None
    last_error: str | None
    created_at: int


class AuditEntryOut(msgspec.Struct):
    seq: int
    at: int
    action: str
    actor_id: int | None
    actor: str
    ip: str | None
    org_id: int | None
    target_type: str
    target_id: str
    summary: str
    detail: dict[str, object]
    hash: str


class AuditPageOut(msgspec.Struct):
    entries: list[AuditEntryOut]
    # Pass as ``before`` for the next (older) page; null on the last one.
    next_before: int | None
