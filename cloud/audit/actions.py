"""What the audit log records: each action's code and how people read it."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    PASSWORD_RESET = "password.reset"  # noqa: S105 - an action's name
    ORDER_CANCELLED = "order.cancelled"
    ORDER_REFUNDED = "order.refunded"
    ORDER_EMAIL_CORRECTED = "order.email_corrected"
    TICKET_REVOKED = "ticket.revoked"
    TICKET_GIVEN = "ticket.given"
    VENUE_KEY_CREATED = "venue.key_created"
    VENUE_KEY_ROTATED = "venue.key_rotated"
    EVENT_KEY_CREATED = "event.key_created"
    ORG_CREATED = "org.created"
    MEMBER_ADDED = "member.added"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    USER_SUSPENDED = "user.suspended"
    USER_UNSUSPENDED = "user.unsuspended"
    ADMIN_GRANTED = "admin.granted"
    ORG_APPROVED = "org.approved"
    ORG_SUSPENDED = "org.suspended"
    ORG_UNSUSPENDED = "org.unsuspended"
    EVENT_HIDDEN = "event.hidden"
    EVENT_RESTORED = "event.restored"
    MESSAGE_RETRIED = "message.retried"
    HOLDERS_MESSAGED = "event.holders_messaged"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Action.LOGIN_SUCCEEDED: "Logged in",
    Action.LOGIN_FAILED: "Failed login",
    Action.PASSWORD_RESET: "Password reset",
    Action.ORDER_CANCELLED: "Order cancelled",
    Action.ORDER_REFUNDED: "Order refunded",
    Action.ORDER_EMAIL_CORRECTED: "Buyer's email corrected",
    Action.TICKET_REVOKED: "Ticket revoked",
    Action.TICKET_GIVEN: "Ticket given by its buyer",
    Action.VENUE_KEY_CREATED: "Venue API key created",
    Action.VENUE_KEY_ROTATED: "Venue API key replaced",
    Action.EVENT_KEY_CREATED: "Event signing key created",
    Action.ORG_CREATED: "Organisation created",
    Action.MEMBER_ADDED: "Member added",
    Action.MEMBER_ROLE_CHANGED: "Role changed",
    Action.MEMBER_REMOVED: "Member removed",
    Action.USER_SUSPENDED: "Account suspended",
    Action.USER_UNSUSPENDED: "Account restored",
    Action.ADMIN_GRANTED: "Made platform admin",
    Action.ORG_APPROVED: "Organisation approved",
    Action.ORG_SUSPENDED: "Organisation suspended",
    Action.ORG_UNSUSPENDED: "Organisation restored",
    Action.EVENT_HIDDEN: "Event hidden",
    Action.EVENT_RESTORED: "Event restored",
    Action.MESSAGE_RETRIED: "Dead message retried",
    Action.HOLDERS_MESSAGED: "Ticket holders messaged",
}
