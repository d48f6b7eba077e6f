"""What the gate shows for each verdict: translated words, a glyph and a colour.

Colour alone is not enough (colour-blind staff, direct sunlight), so every severity also has
its own glyph, and the reason is spelled out in large text.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QColor

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
}

_REASON_HINTS = {
    Reason.ADMITTED: QT_TRANSLATE_NOOP("Verdict", "Welcome!"),
    Reason.UNREADABLE: QT_TRANSLATE_NOOP("Verdict", "This code is not a Bilten ticket."),
    Reason.FORGED: QT_TRANSLATE_NOOP("Verdict", "The signature is not valid. Do not admit."),
    Reason.UNKNOWN_KEY: QT_TRANSLATE_NOOP(
        "Verdict", "This gate may be out of date. Ask the venue desk."
    ),
    Reason.WRONG_EVENT: QT_TRANSLATE_NOOP("Verdict", "This ticket is for another event."),
    Reason.REVOKED: QT_TRANSLATE_NOOP("Verdict", "Refunded or cancelled."),
    Reason.NOT_YET_VALID: QT_TRANSLATE_NOOP("Verdict", "This ticket is not valid yet."),
    Reason.EXPIRED: QT_TRANSLATE_NOOP("Verdict", "This ticket is no longer valid."),
    Reason.ALREADY_ADMITTED: QT_TRANSLATE_NOOP("Verdict", "This ticket was used before."),
}

GLYPHS = {
    Severity.ADMIT: "\u2714",  # heavy check mark
    Severity.REJECT: "\u2716",  # heavy multiplication x
    Severity.ATTENTION: "\u26a0",  # warning sign
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


def tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def reason_title(reason: Reason) -> str:
    return tr(str(_REASON_TITLES[reason]))


def reason_hint(reason: Reason) -> str:
    return tr(str(_REASON_HINTS[reason]))
