"""The kinds of message the cloud sends, what each needs in its context, which channels
(email, text message) it goes by, and what an email carries besides text (ticket QR codes
as inline images).

A context is stored as JSON in the outbox, so it holds plain values only; anything heavier
(a QR image) is made from it when the message is sent."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.qr import make_qr


@dataclass(frozen=True, slots=True)
class InlineImage:
    """A PNG shown inside the HTML part, referenced there as ``cid:<cid>``."""

    cid: str
    filename: str
    png: bytes


def _no_images(_context: Mapping[str, Any]) -> list[InlineImage]:
    return []


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of message: the context it needs, the channels it has templates for
    (``<name>.txt`` and ``<name>.html`` for email, ``<name>.sms`` for a text message), and
    the images an email of it carries."""

    name: str
    required: tuple[str, ...]
    images: Callable[[Mapping[str, Any]], list[InlineImage]] = field(default=_no_images)
    channels: tuple[str, ...] = ("email",)


def ticket_qr_cid(ticket: Mapping[str, Any]) -> str:
    return f"ticket-{ticket['ticket_id']}@bilten"


def _ticket_qr_codes(context: Mapping[str, Any]) -> list[InlineImage]:
    """One QR per ticket, made with the same settings as printed tickets so gates read both."""
    images = []
    for ticket in context["tickets"]:
        out = io.BytesIO()
        make_qr(ticket["token"]).save(out, kind="png", scale=6, border=4)
        images.append(
            InlineImage(ticket_qr_cid(ticket), f"ticket-{ticket['ticket_id']}.png", out.getvalue())
        )
    return images


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("verify_email", ("name", "verify_url")),
        Kind("password_reset", ("name", "reset_url")),
        # A sold-out event has seats again (cloud.orders.waitlist).
        Kind("tickets_available", ("event_name", "event_starts", "event_url")),
        # tickets: [{"ticket_id", "type_name", "token"}, ...]; event_starts (text) optional.
        Kind(
            "order_confirmation",
            ("order_ref", "holder_name", "event_name", "tickets"),
            _ticket_qr_codes,
        ),
        # A buyer gave one of their tickets to the addressee (cloud.orders.giving).
        Kind(
            "ticket_given",
            (
                "holder_name",
                "giver_name",
                "event_name",
                "event_starts",
                "venue_name",
                "tickets",
            ),
            _ticket_qr_codes,
        ),
        Kind(
            "organizer_message",
            ("organizer_name", "event_name", "subject", "body"),
            channels=("email", "sms"),
        ),
        Kind("event_hidden", ("name", "organisation", "event_name", "event_url", "reason")),
        Kind("event_restored", ("name", "organisation", "event_name", "event_url")),
        # A code that proves a mobile number belongs to the account that typed it in.
        Kind("phone_code", ("code",), channels=("sms",)),
    )
}
