"""Why a scan was admitted or not. Every tier speaks these codes; the UI only translates them."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How the gate should present a verdict: green, red, or amber for 'look at this person'."""

    ADMIT = "admit"
    REJECT = "reject"
    ATTENTION = "attention"


class Reason(StrEnum):
    ADMITTED = "admitted"
    UNREADABLE = "unreadable"
    FORGED = "forged"
    UNKNOWN_KEY = "unknown_key"
    WRONG_EVENT = "wrong_event"
    REVOKED = "revoked"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    ALREADY_ADMITTED = "already_admitted"
    WRONG_GATE = "wrong_gate"
    EXITED = "exited"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        """Short English text for logs and command-line output (UIs translate the code)."""
        return _LABELS[self]


_SEVERITY = {
    Reason.ADMITTED: Severity.ADMIT,
    Reason.UNREADABLE: Severity.REJECT,
    Reason.FORGED: Severity.REJECT,
    # A key we do not know yet may mean this device has not synced since a key rotation.
    Reason.UNKNOWN_KEY: Severity.ATTENTION,
    Reason.WRONG_EVENT: Severity.REJECT,
    Reason.REVOKED: Severity.REJECT,
    # Early arrivals and repeat scans need a person's judgement, not a flat refusal.
    Reason.NOT_YET_VALID: Severity.ATTENTION,
    Reason.EXPIRED: Severity.REJECT,
    Reason.ALREADY_ADMITTED: Severity.ATTENTION,
    # A genuine ticket at the wrong door: send the holder to the right one.
    Reason.WRONG_GATE: Severity.ATTENTION,
    Reason.EXITED: Severity.ADMIT,
}

_LABELS = {
    Reason.ADMITTED: "Admitted",
    Reason.UNREADABLE: "Not a Bilten ticket",
    Reason.FORGED: "Forged ticket",
    Reason.UNKNOWN_KEY: "Unknown signing key",
    Reason.WRONG_EVENT: "Ticket for another event",
    Reason.REVOKED: "Ticket revoked",
    Reason.NOT_YET_VALID: "Not valid yet",
    Reason.EXPIRED: "Ticket expired",
    Reason.ALREADY_ADMITTED: "Already admitted",
    Reason.WRONG_GATE: "Not valid at this gate",
    Reason.EXITED: "Exit recorded",
}
