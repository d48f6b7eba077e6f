"""The admission rules: one implementation, called by the scanner, the venue server and the cloud.

Guards run in a fixed order and the first that fails decides:

1. unreadable      the string is not a canonical v1 token
2. unknown key     no key with the token's key id is known on this device
3. forged          the signature does not verify, or the key is another event's
4. wrong event     this gate does not serve the ticket's event
5. revoked         refunded or cancelled, as of the last sync
6. not yet valid   before the ticket's validity window
7. expired         after the ticket's validity window
8. already admitted  an earlier admission of this ticket is known (with when, where, who)

A ticket that is validly signed but not yet in the local manifest is admitted: it may have been
sold after the last sync, and the signature proves the cloud issued it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from shared.clock import Hlc
from shared.errors import TokenRejected
from shared.keys import Keyring
from shared.messages import ScanRecord
from shared.reasons import Reason, Severity
from shared.token import TicketClaims, verify_token


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """What a node's manifest knows about one ticket."""

    revoked: bool = False
    holder_name: str = ""
    type_name: str = ""


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """What this gate admits."""

    event_ids: frozenset[int]


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
    reason: Reason
    detail: str = ""
    claims: TicketClaims | None = None
    info: TicketInfo | None = None
    previous: PriorAdmission | None = None

    @property
    def admit(self) -> bool:
        return self.reason is Reason.ADMITTED

    @property
    def severity(self) -> Severity:
        return self.reason.severity


def admission_order(record: ScanRecord) -> tuple[Hlc, str]:
    """The total order every node uses to pick the first admission of a ticket."""
    return Hlc.parse(record.hlc), record.scan_id


def split_admissions(
    records: Iterable[ScanRecord],
) -> tuple[ScanRecord | None, list[ScanRecord]]:
    """The admission that counts, and the conflicting ones that must be flagged, not dropped."""
    admissions = sorted((r for r in records if r.admitted), key=admission_order)
    if not admissions:
        return None, []
    return admissions[0], admissions[1:]


def decide(
    claims: TicketClaims,
    info: TicketInfo | None,
    history: Sequence[ScanRecord],
    policy: GatePolicy,
    now: int,
) -> Verdict:
    """Rules 4-8 for a token whose signature already verified. ``now`` is Unix seconds."""

    def verdict(reason: Reason, detail: str = "") -> Verdict:
        return Verdict(reason, detail, claims, info)

    if claims.event_id not in policy.event_ids:
        return verdict(Reason.WRONG_EVENT, f"event {claims.event_id} is not served here")
    if info is not None and info.revoked:
        return verdict(Reason.REVOKED, "refunded or cancelled")
    if claims.valid_from is not None and now < claims.valid_from:
        return verdict(Reason.NOT_YET_VALID, f"valid from {claims.valid_from}")
    if claims.valid_until is not None and now >= claims.valid_until:
        return verdict(Reason.EXPIRED, f"valid until {claims.valid_until}")
    first, _ = split_admissions(r for r in history if r.ticket_id == claims.ticket_ref)
    if first is not None:
        previous = PriorAdmission.of(first)
        return Verdict(
            Reason.ALREADY_ADMITTED,
            f"at {first.gate} by {first.device_name}",
            claims,
            info,
            previous,
        )
    return verdict(Reason.ADMITTED)


Lookup = Callable[[str], tuple[TicketInfo | None, Sequence[ScanRecord]]]


def judge(token: str, keyring: Keyring, lookup: Lookup, policy: GatePolicy, now: int) -> Verdict:
    """Every rule, from the raw string read at the gate to the verdict.

    ``lookup(ticket_ref)`` returns what the node knows of the ticket and its earlier scans.
    """
    try:
        claims = verify_token(token, keyring)
    except TokenRejected as rejected:
        return Verdict(rejected.reason, rejected.detail)
    info, history = lookup(claims.ticket_ref)
    return decide(claims, info, history, policy, now)
