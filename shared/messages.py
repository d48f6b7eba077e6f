"""Versioned sync messages between scanner, venue server and cloud.

Every top-level message carries ``v``. A receiver decodes with :func:`decode`, which enforces
the field types and limits declared here and refuses versions it does not speak, so a broken
or hostile batch is refused whole before anything is written.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypeVar

import msgspec

from shared.errors import ProtocolError
from shared.reasons import Reason

PROTOCOL_VERSION = 1
MAX_BATCH = 1000

Id32 = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]
TicketRef = Annotated[str, msgspec.Meta(pattern=r"^[A-Z2-7]{20}$")]
ScanId = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
HlcText = Annotated[str, msgspec.Meta(pattern=r"^\d{15}-\d{5}-[A-Za-z0-9_.]{1,64}$")]
Cursor = Annotated[str, msgspec.Meta(max_length=4096)]
# Text a gate writes into a scan: no NUL character, which PostgreSQL cannot store, so a batch
# that carries one is refused at the first hop instead of blocking uploads further up.
_NO_NUL = r"^[^\x00]*$"
ScanText = Annotated[str, msgspec.Meta(max_length=200, pattern=_NO_NUL)]
# Unix milliseconds; the bound is what every tier's database stores (a signed 64-bit integer).
Millis = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
EntryLimit = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class Direction(StrEnum):
    """Which way a gate lets people through."""

    ENTRY = "entry"
    EXIT = "exit"


class Message(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    v: int = PROTOCOL_VERSION


class PublicKeyEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    key_id: Id32
    event_id: Id32
    public_key: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{43}$")]


class KeyFile(Message):
    """``keys.json``: what ``bilten ticket verify --keys`` reads."""

    keys: list[PublicKeyEntry]


class EventEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    event_id: Id32
    name: ShortText
    starts_at: int
    ends_at: int
    venue_name: ShortText = ""


class TicketEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a gate knows of one ticket besides its token: enough to decide and to find it by
    name, email or order number when the holder's phone is dead."""

    ticket_id: TicketRef
    event_id: Id32
    type_id: Id32
    type_name: ShortText
    holder_name: ShortText = ""
    holder_email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    order_ref: ShortText = ""
    revoked: bool = False
    # Admissions the ticket allows (0: no limit); a re-entry after an exit does not use one.
    max_entries: EntryLimit = 1
    reentry: bool = False
    valid_from: int | None = None
    valid_until: int | None = None


class ManifestPage(Message):
    """One page of what a gate needs to decide offline, from ``cursor`` on.

    Entries are upserts: a ticket appears again when it changes (e.g. is revoked).
    ``remaining`` counts entries after this page, so a client can show progress.
    """

    next_cursor: Cursor
    has_more: bool
    remaining: int = 0
    events: list[EventEntry] = []
    keys: list[PublicKeyEntry] = []
    tickets: list[TicketEntry] = []


class ScanRecord(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One scan, immutable from the moment its device made it durable.

    ``manual`` marks an admission staff granted by hand (ticket found by search, or a verdict
    that needed a person's judgement overridden); ``note`` is their reason and ``staff`` who
    they are, as entered on the device.
    """

    scan_id: ScanId
    device_id: ScanText
    device_name: ScanText
    gate: ScanText
    hlc: HlcText
    scanned_at_ms: Millis
    reason: Reason
    event_id: Id32 | None = None
    ticket_id: TicketRef | None = None
    # What was read, kept only for scans that did not parse, to help investigate them.
    raw: Annotated[str, msgspec.Meta(max_length=512, pattern=_NO_NUL)] | None = None
    direction: Direction = Direction.ENTRY
    zone: ScanText = ""
    manual: bool = False
    note: Annotated[str, msgspec.Meta(max_length=500, pattern=_NO_NUL)] | None = None
    staff: ScanText = ""

    @property
    def admitted(self) -> bool:
        return self.reason is Reason.ADMITTED

    @property
    def movement(self) -> bool:
        """Whether this scan moved the holder in or out (counts for entries and presence)."""
        return self.reason is Reason.ADMITTED or self.reason is Reason.EXITED


class ScanBatch(Message):
    scans: Annotated[list[ScanRecord], msgspec.Meta(max_length=MAX_BATCH)]


class ScanAck(Message):
    """Which scans the receiver now holds durably: new ones and ones it already had."""

    stored: int
    duplicates: int
    acked: list[ScanId]


class ScanFeed(Message):
    """Scans a venue server has seen from every gate, after ``cursor``."""

    next_cursor: Cursor
    has_more: bool
    scans: list[ScanRecord] = []


class ManifestChanged(Message):
    """The data of a live feed ``manifest`` event: the venue's tickets now reach
    ``next_cursor``, a cursor of the venue's own manifest (``GET /api/v1/manifest``).

    A gate holding another cursor pulls the manifest now rather than at its next poll, so a
    refund or cancellation reaches the door within moments.
    """

    next_cursor: Cursor


class PairRequest(Message):
    code: Annotated[str, msgspec.Meta(min_length=4, max_length=64)]
    device_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class PairResponse(Message):
    device_id: ShortText
    device_token: str
    venue_name: ShortText
    gate: ShortText


M = TypeVar("M", bound=Message)


def encode(message: Message | msgspec.Struct) -> bytes:
    return msgspec.json.encode(message)


def decode(data: bytes | str, kind: type[M]) -> M:
    """Decode and validate one message; raises ProtocolError with a readable reason."""
    try:
        message = msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"invalid {kind.__name__}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"{kind.__name__} is not valid JSON: {exc}") from exc
    if message.v != PROTOCOL_VERSION:
        raise ProtocolError(
            f"{kind.__name__} version {message.v} is not supported (this node speaks "
            f"{PROTOCOL_VERSION})"
        )
    return message


def to_builtins(message: msgspec.Struct) -> Any:
    return msgspec.to_builtins(message)
