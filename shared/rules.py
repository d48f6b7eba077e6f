"""The admission rules: one implementation, called by the scanner, the venue server and the cloud.

Guards run in a fixed order and the first that fails decides:

1. unreadable      the string is not a canonical v1 token
2. unknown key     no key with the token's key id is known on this device
3. forged          the signature does not verify, or the key is another event's
4. wrong event     this gate does not serve the ticket's event

At an exit gate a genuine ticket of a served event is then always let out (``exited``), even a
revoked one: nobody is held inside. At an entry gate:

5. revoked         refunded or cancelled, as of the last sync
6. wrong gate      the ticket's type is not admitted at this gate
7. not yet valid   before the ticket's validity window
8. expired         after the ticket's validity window
9. re-entry        a ticket that allows re-entry and last went out is admitted again, free
10. already admitted  the ticket has used all its entries (with when, where, who of the last)

A ticket that is validly signed but not yet in the local manifest is admitted as a
single-entry ticket: it may have been sold after the last sync, and the signature proves the
cloud issued it.

Entries are counted by replaying a ticket's movements (admissions and exits) in the total
order of :func:`admission_order`, so every node counts the same history the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.clock import Hlc
from shared.errors import TokenRejected
from shared.keys import Keyring
from shared.messages import Direction, ScanRecord, TicketEntry
from shared.reasons import Reason, Severity
from shared.token import TicketClaims, verify_token


class TicketFacts(Protocol):
    """What the rules need of a ticket: its signed claims, or its manifest entry for a ticket
    staff found by search."""

    @property
    def event_id(self) -> int: ...
    @property
    def type_id(self) -> int: ...
    @property
    def valid_from(self) -> int | None: ...
    @property
    def valid_until(self) -> int | None: ...
    @property
    def ticket_ref(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ListedTicket:
    """A ticket known from the manifest rather than from a token that was read."""

    ticket_ref: str
    event_id: int
    type_id: int
    valid_from: int | None = None
    valid_until: int | None = None

    @classmethod
    def of(cls, entry: TicketEntry) -> ListedTicket:
        return cls(
            entry.ticket_id, entry.event_id, entry.type_id, entry.valid_from, entry.valid_until
        )


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """What a node's manifest knows about one ticket."""

    revoked: bool = False
    holder_name: str = ""
    type_name: str = ""
    holder_email: str = ""
    order_ref: str = ""
    max_entries: int = 1
    reentry: bool = False

    @classmethod
    def of(cls, entry: TicketEntry) -> TicketInfo:
        return cls(
            revoked=entry.revoked,
            holder_name=entry.holder_name,
            type_name=entry.type_name,
            holder_email=entry.holder_email,
            order_ref=entry.order_ref,
            max_entries=entry.max_entries,
            reentry=entry.reentry,
        )


UNLISTED = TicketInfo()


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """What this gate admits: the events it serves, which way it faces, the zone it opens
    into, and (when set) the only ticket types it admits."""

    event_ids: frozenset[int]
    direction: Direction = Direction.ENTRY
    zone: str = ""
    type_ids: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class PriorAdmission:
    scan_id: str
    device_id: str
    device_name: str
    gate: str
    scanned_at_ms: int

    @classmethod
    def of(cls, record: ScanRecord) -> PriorAdmission:
        return cls(
            record.scan_id,
            record.device_id,
            record.device_name,
            record.gate,
            record.scanned_at_ms,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one scan. ``entries`` counts the admissions the ticket has used,
    including this one when it is admitted; ``reentry`` marks a free re-entry after an exit."""

    reason: Reason
    detail: str = ""
    claims: TicketClaims | None = None
    info: TicketInfo | None = None
    previous: PriorAdmission | None = None
    entries: int = 0
    reentry: bool = False

    @property
    def admit(self) -> bool:
        return self.reason is Reason.ADMITTED

    @property
    def severity(self) -> Severity:
        return self.reason.severity

    @property
    def max_entries(self) -> int:
        return (self.info or UNLISTED).max_entries


def admission_order(record: ScanRecord) -> tuple[Hlc, str]:
    """The total order every node uses to pick the first admission of a ticket."""
    return Hlc.parse(record.hlc), record.scan_id


@dataclass(frozen=True, slots=True)
class Presence:
    """A ticket's movements replayed in order: entries used, whether it is inside, the
    admission that counted last, and the admissions the rules would have refused."""

    entries: int = 0
    inside: bool = False
    went_out: bool = False
    first: ScanRecord | None = None
    last: ScanRecord | None = None
    conflicts: tuple[ScanRecord, ...] = ()


def replay(records: Iterable[ScanRecord], max_entries: int = 1, reentry: bool = False) -> Presence:
    """Replay one ticket's movements in :func:`admission_order`.

    An admission counts against ``max_entries`` (0: no limit) unless it is a re-entry of a
    ticket that allows it and last went out. An admission past the limit could only have come
    from gates that could not see each other: it is kept and returned as a conflict.
    """
    entries, inside, went_out = 0, False, False
    first: ScanRecord | None = None
    last: ScanRecord | None = None
    conflicts: list[ScanRecord] = []
    for record in sorted((r for r in records if r.movement), key=admission_order):
        if record.reason is Reason.EXITED:
            inside, went_out = False, inside or went_out
            continue
        if reentry and went_out and not inside:
            inside, went_out = True, False
            continue
        if max_entries and entries >= max_entries:
            conflicts.append(record)
            continue
        entries += 1
        inside, went_out = True, False
        first = first or record
        last = record
    return Presence(entries, inside, went_out, first, last, tuple(conflicts))


def split_admissions(
    records: Iterable[ScanRecord], max_entries: int = 1, reentry: bool = False
) -> tuple[ScanRecord | None, list[ScanRecord]]:
    """The admission that counts first, and the conflicting ones that must be flagged, not
    dropped."""
    presence = replay(records, max_entries, reentry)
    return presence.first, list(presence.conflicts)


def decide(  # noqa: PLR0911 - one return per guard, in the documented order
    ticket: TicketFacts,
    info: TicketInfo | None,
    history: Sequence[ScanRecord],
    policy: GatePolicy,
    now: int,
) -> Verdict:
    """Rules 4-10 for a ticket whose signature already verified (or that staff found in the
    manifest). ``history`` holds the node's earlier scans of it; ``now`` is Unix seconds."""
    claims = ticket if isinstance(ticket, TicketClaims) else None
    known = info or UNLISTED
    presence = replay(
        (r for r in history if r.ticket_id == ticket.ticket_ref), known.max_entries, known.reentry
    )

    def verdict(
        reason: Reason,
        detail: str = "",
        *,
        entries: int = presence.entries,
        previous: PriorAdmission | None = None,
        reentry: bool = False,
    ) -> Verdict:
        return Verdict(reason, detail, claims, info, previous, entries, reentry)

    if ticket.event_id not in policy.event_ids:
        return verdict(Reason.WRONG_EVENT, f"event {ticket.event_id} is not served here")
    if policy.direction is Direction.EXIT:
        return verdict(Reason.EXITED, "" if presence.inside else "no entry on record")
    if known.revoked:
        return verdict(Reason.REVOKED, "refunded or cancelled")
    if policy.type_ids is not None and ticket.type_id not in policy.type_ids:
        return verdict(Reason.WRONG_GATE, f"ticket type {ticket.type_id} is not admitted here")
    if ticket.valid_from is not None and now < ticket.valid_from:
        return verdict(Reason.NOT_YET_VALID, f"valid from {ticket.valid_from}")
    if ticket.valid_until is not None and now >= ticket.valid_until:
        return verdict(Reason.EXPIRED, f"valid until {ticket.valid_until}")
    if known.reentry and presence.went_out and not presence.inside:
        return verdict(Reason.ADMITTED, "re-entry", reentry=True)
    if known.max_entries and presence.entries >= known.max_entries and presence.last:
        last = presence.last
        return verdict(
            Reason.ALREADY_ADMITTED,
            f"at {last.gate} by {last.device_name}",
            previous=PriorAdmission.of(last),
        )
    return verdict(Reason.ADMITTED, entries=presence.entries + 1)


Lookup = Callable[[str], tuple[TicketInfo | None, Sequence[ScanRecord]]]


def judge(token: str, keyring: Keyring, lookup: Lookup, policy: GatePolicy, now: int) -> Verdict:
    """Every rule, from the raw string read at the gate to the verdict.

    ``lookup(ticket_ref)`` returns what the node knows of the ticket and its earlier
    movements (admissions and exits).
    """
    try:
        claims = verify_token(token, keyring)
    except TokenRejected as rejected:
        return Verdict(rejected.reason, rejected.detail)
    info, history = lookup(claims.ticket_ref)
    return decide(claims, info, history, policy, now)
