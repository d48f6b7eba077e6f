"""Pairing this scanner with a venue server: the one flow the command line and the window share.

A pairing starts from a scanned or pasted QR payload, or from a venue (typed URL or one found
on the LAN) plus a typed code. Input is checked before anything goes on the network; the
venue's answer is saved only when it pairs; then one sync runs, so the gate starts with its
tickets. Every failure is a :class:`PairingFailed` with a :class:`PairingProblem` a window can
put into plain words next to the right field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from scanner_app.errors import ScannerError, VenueRefused, VenueUnreachable
from scanner_app.store import DeviceConfig, Store
from scanner_app.sync import Progress, SyncReport, SyncService
from shared.errors import PairingPayloadError, ProtocolError
from shared.pairing import PairingPayload, check_code, parse_payload, venue_url_from_input

if TYPE_CHECKING:
    from scanner_app.discovery import FoundVenue

MAX_DEVICE_NAME = 64  # what the venue accepts (shared.messages.PairRequest)


class PairingProblem(StrEnum):
    BAD_PAYLOAD = "bad_payload"  # not a pairing QR, or a damaged one
    BAD_URL = "bad_url"
    BAD_CODE = "bad_code"
    BAD_NAME = "bad_name"
    NO_VENUE = "no_venue"  # nothing found on the LAN
    SEVERAL_VENUES = "several_venues"  # more than one found; the person has to choose
    UNREACHABLE = "unreachable"
    NOT_A_VENUE = "not_a_venue"  # something answered, but not a Bilten venue server
    UNKNOWN_CODE = "unknown_code"
    USED_CODE = "used_code"
    EXPIRED_CODE = "expired_code"
    REFUSED = "refused"  # any other refusal; the venue's detail says why

    @property
    def is_input(self) -> bool:
        """A problem with what was typed or scanned, found before asking the venue."""
        return self in _INPUT_PROBLEMS


_INPUT_PROBLEMS = frozenset(
    {
        PairingProblem.BAD_PAYLOAD,
        PairingProblem.BAD_URL,
        PairingProblem.BAD_CODE,
        PairingProblem.BAD_NAME,
    }
)
_FIELD_PROBLEMS = {
    "payload": PairingProblem.BAD_PAYLOAD,
    "url": PairingProblem.BAD_URL,
    "code": PairingProblem.BAD_CODE,
}
# The venue's 403 details (venue_server.store) name which of these it was.
_REFUSALS = (
    ("already been used", PairingProblem.USED_CODE),
    ("expired", PairingProblem.EXPIRED_CODE),
    ("unknown pairing code", PairingProblem.UNKNOWN_CODE),
)


class PairingFailed(ScannerError):
    """Pairing did not happen; nothing was saved."""

    def __init__(self, problem: PairingProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PairingResult:
    device: DeviceConfig
    sync: SyncReport  # the first sync; offline is fine, the gate keeps trying
    tickets: int  # tickets held after it
    gate: str  # the gate it scans at: its own choice if one was given, else the venue's

    def to_json(self) -> dict[str, object]:
        return {
            "device_id": self.device.device_id,
            "device_name": self.device.device_name,
            "gate": self.gate,
            "venue_name": self.device.venue_name,
            "venue_url": self.device.venue_url,
            "sync": self.sync.status.value,
            "tickets": self.tickets,
        }


def _input_error(exc: PairingPayloadError) -> PairingFailed:
    return PairingFailed(_FIELD_PROBLEMS[exc.field], exc.detail)


def target_from_payload(text: str) -> PairingPayload:
    """The venue and code in a scanned or pasted ``bilten-pair:`` payload."""
    try:
        return parse_payload(text)
    except PairingPayloadError as exc:
        raise _input_error(exc) from exc


def code_from_input(code: str) -> str:
    """A typed pairing code in its printed form; case, spaces and the dash are forgiven."""
    try:
        return check_code(code)
    except PairingPayloadError as exc:
        raise _input_error(exc) from exc


def target_from_input(venue_url: str, code: str) -> PairingPayload:
    """A typed venue address (``10.0.0.2`` is forgiven as ``http://10.0.0.2:8100``) and code."""
    try:
        url = venue_url_from_input(venue_url)
    except PairingPayloadError as exc:
        raise _input_error(exc) from exc
    return PairingPayload(url, code_from_input(code))


def choose_venue(venues: Sequence[FoundVenue]) -> FoundVenue:
    """The one venue found on the LAN; none or several is a failure that lists them."""
    if not venues:
        raise PairingFailed(
            PairingProblem.NO_VENUE,
            "no venue server answered on this network; give its address with --venue URL "
            "or scan its pairing QR",
        )
    if len(venues) > 1:
        listing = "; ".join(f"{v.label} at {v.url}" for v in venues)
        raise PairingFailed(
            PairingProblem.SEVERAL_VENUES,
            f"{len(venues)} venue servers answered ({listing}); choose one with --venue URL",
        )
    return venues[0]


def check_device_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise PairingFailed(PairingProblem.BAD_NAME, "give this scanner a name, e.g. 'North 1'")
    if len(cleaned) > MAX_DEVICE_NAME:
        raise PairingFailed(
            PairingProblem.BAD_NAME, f"a scanner name has at most {MAX_DEVICE_NAME} characters"
        )
    return cleaned


def _refusal(exc: VenueRefused) -> PairingFailed:
    if exc.status_code in (404, 405):
        return PairingFailed(
            PairingProblem.NOT_A_VENUE,
            f"this address answered, but it is not a Bilten venue server ({exc})",
        )
    if exc.status_code == 403:
        detail = exc.detail.lower()
        for words, problem in _REFUSALS:
            if words in detail:
                return PairingFailed(problem, exc.detail)
    return PairingFailed(PairingProblem.REFUSED, f"the venue server refused: {exc.detail}")


class ScannerPairing:
    """Pairs the scanner whose data lives in ``store``; safe to run off the UI thread."""

    def __init__(self, store: Store, sync: SyncService | None = None) -> None:
        self.store = store
        self._sync = sync if sync is not None else SyncService(store)

    def pair(
        self,
        target: PairingPayload,
        device_name: str,
        gate: str | None = None,
        progress: Progress | None = None,
    ) -> PairingResult:
        """Pair with ``target`` and download the venue's tickets once.

        Raises PairingFailed, with nothing saved, when the venue cannot be reached or refuses.
        """
        name = check_device_name(device_name)
        try:
            device = self._sync.pair(target.venue_url, target.code, name, gate)
        except VenueUnreachable as exc:
            raise PairingFailed(
                PairingProblem.UNREACHABLE,
                f"cannot reach the venue server at {target.venue_url} ({exc})",
            ) from exc
        except VenueRefused as exc:
            raise _refusal(exc) from exc
        except ProtocolError as exc:
            raise PairingFailed(
                PairingProblem.NOT_A_VENUE,
                f"{target.venue_url} answered something a Bilten venue server never sends ({exc})",
            ) from exc
        report = self._sync.sync_once(progress)
        gate = self.store.settings().gate or device.gate
        return PairingResult(device, report, self.store.ticket_count(), gate)
