"""The name and gate a venue's manager gives a paired scanner, as the venue tells it.

Every answer to an authenticated scanner request carries them in two headers, so a move made
on the dashboard reaches the scanner with its next request (docs/protocol.md). Header values
are bytes on the wire, and names are anyone's text ("Süd", "北门"): they travel
percent-encoded UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

NAME_HEADER = "X-Bilten-Device-Name"
GATE_HEADER = "X-Bilten-Device-Gate"
MAX_LABEL = 64


@dataclass(frozen=True, slots=True)
class Assignment:
    device_name: str
    gate: str


def header_value(label: str) -> str:
    """``label`` as a header value: printable ASCII whatever it was."""
    return quote(label, safe="")


def label_from_header(raw: str | None) -> str | None:
    """The label a header value carries; None when absent or not a sensible label (a scanner
    keeps what it had rather than show garbage)."""
    if raw is None:
        return None
    try:
        text = unquote(raw.strip(), errors="strict")
    except UnicodeDecodeError:
        return None
    label = " ".join(text.split())
    if not 1 <= len(label) <= MAX_LABEL or not label.isprintable():
        return None
    return label


def assignment_from_headers(name: str | None, gate: str | None) -> Assignment | None:
    """Both labels, or None unless both are there and sensible."""
    device_name, device_gate = label_from_header(name), label_from_header(gate)
    if device_name is None or device_gate is None:
        return None
    return Assignment(device_name, device_gate)
