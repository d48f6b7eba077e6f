"""What the gate shows for each verdict: translated words, a symbol and a colour.

Colour alone is not enough (colour-blind staff, direct sunlight), so every severity also has
its own symbol, drawn as a large icon, and the reason is spelled out in large text.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QColor

from shared.messages import Direction
from shared.reasons import Reason, Severity

_CONTEXT = "Verdict"

_REASON_TITLES = {
    Reason.ADMITTED: QT_TRANSLATE_NOOP("Verdict", "Admitted"),
    Reason.UNREADABLE: QT_TRANSLATE_NOOP("Verdict", "Not a ticket"),
    Reason.FORGED: QT_TRANSLATE_NOOP("Verdict", "Forged ticket"),
    Reason.UNKNOWN_KEY: QT_TRANSLATE_NOOP("Verdict", "Unknown ticket key"),
    Reason.WRONG_EVENT: QT_TRANSLATE_NOOP("Verdict", "Wrong event"),
    Reason.REVOKED: QT_TRANSLATE_NOOP("Verdict", "Ticket revoked"),
    Reason.NOT_YET_VALID: QT_TRANSLATE_NOOP("Verdict", "Not valid yet"),
    Reason.EXPIRED: QT_TRANSLATE_NOOP("Verdict", "Ticket expired"),
    Reason.ALREADY_ADMITTED: QT_TRANSLATE_NOOP("Verdict", "Already admitted"),
    Reason.WRONG_GATE: QT_TRANSLATE_NOOP("Verdict", "Wrong gate"),
    Reason.EXITED: QT_TRANSLATE_NOOP("Verdict", "Goodbye"),
}

_REASON_HINTS = {
    Reason.ADMITTED: QT_TRANSLATE_NOOP("Verdict", "Welcome!"),
    Reason.UNREADABLE: QT_TRANSLATE_NOOP("Verdict", "This code is not a Bilten ticket."),
    Reason.FORGED: QT_TRANSLATE_NOOP("Verdict", "The signature is not valid. Do not admit."),
    Reason.UNKNOWN_KEY: QT_TRANSLATE_NOOP(
        "Verdict", "This gate may be out of date. Ask the venue desk."
    ),
    Reason.WRONG_EVENT: QT_TRANSLATE_NOOP("Verdict", "This ticket is for another event."),
    Reason.REVOKED: QT_TRANSLATE_NOOP("Verdict", "Refunded or cancelled. Do not admit."),
    Reason.NOT_YET_VALID: QT_TRANSLATE_NOOP("Verdict", "This ticket is not valid yet."),
    Reason.EXPIRED: QT_TRANSLATE_NOOP("Verdict", "This ticket is no longer valid."),
    Reason.ALREADY_ADMITTED: QT_TRANSLATE_NOOP(
        "Verdict", "This ticket was used before. Check with the holder."
    ),
    Reason.WRONG_GATE: QT_TRANSLATE_NOOP(
        "Verdict", "This ticket type is not admitted here. Send the holder to the right gate."
    ),
    Reason.EXITED: QT_TRANSLATE_NOOP("Verdict", "The ticket holder has left."),
}

# One symbol per severity, also drawn as the big icon; text, so screen readers say it too.
SYMBOLS = {
    Severity.ADMIT: "\u2714",  # heavy check mark
    Severity.REJECT: "\u2716",  # heavy multiplication x
    Severity.ATTENTION: "!",
}

BACKGROUNDS = {
    Severity.ADMIT: QColor("#1b8a3a"),
    Severity.REJECT: QColor("#c62828"),
    Severity.ATTENTION: QColor("#f2a900"),
}

# Dark text on amber, white on green and red: each pair stays readable in daylight.
FOREGROUNDS = {
    Severity.ADMIT: QColor("#ffffff"),
    Severity.REJECT: QColor("#ffffff"),
    Severity.ATTENTION: QColor("#1a1a1a"),
}

# Entry and exit gates look different at a glance, so nobody scans people out by mistake.
DIRECTION_COLOURS = {
    Direction.ENTRY: QColor("#1565c0"),
    Direction.EXIT: QColor("#6a1b9a"),
}

_DIRECTION_NAMES = {
    Direction.ENTRY: QT_TRANSLATE_NOOP("Verdict", "ENTRY"),
    Direction.EXIT: QT_TRANSLATE_NOOP("Verdict", "EXIT"),
}


def tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def reason_title(reason: Reason) -> str:
    return tr(str(_REASON_TITLES[reason]))


def reason_hint(reason: Reason) -> str:
    return tr(str(_REASON_HINTS[reason]))


def direction_name(direction: Direction) -> str:
    return tr(str(_DIRECTION_NAMES[direction]))
