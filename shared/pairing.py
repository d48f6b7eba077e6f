"""How a scanner finds a venue server and what the pairing QR holds.

Both ends must agree on this: the venue server makes pairing codes, prints the QR and
announces itself on the LAN; the scanner reads the QR (or a typed code), browses for the
announcement and pairs. Parsing is strict because the payload comes from a camera or a
keyboard-wedge scanner: anything that is not exactly a pairing payload is refused with a
:class:`~shared.errors.PairingPayloadError` that says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from shared.errors import PairingPayloadError

PAIRING_SCHEME = "bilten-pair:"
# Read aloud or typed on a tablet: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# A QR a phone camera still reads from across a desk; longer URLs are a mistake, not a venue.
MAX_URL_LENGTH = 400
MAX_PAYLOAD_LENGTH = len(PAIRING_SCHEME) + MAX_URL_LENGTH + 1 + CODE_LENGTH + 1

DEFAULT_VENUE_PORT = 8100
SCANNER_API_PATH = "/api/v1"

# DNS-SD: a venue server announces this service type while it runs; the TXT record carries
# the keys below. A scanner ignores venues whose API path it does not speak.
VENUE_SERVICE_TYPE = "_bilten-venue._tcp.local."
TXT_VENUE_NAME = "name"
TXT_VERSION = "version"
TXT_API_PATH = "path"

_CODE_HINT = "a pairing code has 8 letters and digits, like K7PM-3QXA"


@dataclass(frozen=True, slots=True)
class PairingPayload:
    """Where the venue server is and the one-time code to pair with it, both checked."""

    venue_url: str
    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "venue_url", check_venue_url(self.venue_url))
        object.__setattr__(self, "code", check_code(self.code))

    def encode(self) -> str:
        """The text the pairing QR holds."""
        return f"{PAIRING_SCHEME}{self.venue_url}#{self.code}"


def normalize_code(code: str) -> str:
    """The code as typed, with case, spaces and dashes forgiven (not yet checked)."""
    return "".join(code.split()).replace("-", "").upper()


def check_code(code: str) -> str:
    """The code in its printed form ``XXXX-XXXX``; refuses anything a venue never makes."""
    raw = normalize_code(code)
    if not raw:
        raise PairingPayloadError("code", "the pairing code is empty")
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        bad = sorted({ch for ch in raw if ch not in CODE_ALPHABET})
        extra = f" ({', '.join(bad)} never appear in one)" if bad and len(bad) <= 5 else ""
        raise PairingPayloadError("code", f"{_CODE_HINT}{extra}")
    return f"{raw[:4]}-{raw[4:]}"


def check_venue_url(url: str) -> str:
    """A venue server base URL: http or https, a host, no credentials, query or fragment.

    Returned with a lower-case scheme and without a trailing slash.
    """
    text = url.strip()
    if not text:
        raise PairingPayloadError("url", "the venue server address is empty")
    if len(text) > MAX_URL_LENGTH:
        raise PairingPayloadError("url", "the venue server address is too long")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise PairingPayloadError("url", "the venue server address contains spaces")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise PairingPayloadError("url", f"{text!r} is not a web address: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PairingPayloadError(
            "url", "the venue server address must start with http:// or https://"
        )
    if not parts.hostname:
        raise PairingPayloadError("url", "the venue server address has no host")
    if "@" in parts.netloc:
        raise PairingPayloadError("url", "the venue server address must not hold a password")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise PairingPayloadError("url", "the venue server address must not have ? or #")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def build_payload(venue_url: str, code: str) -> str:
    """What the pairing QR holds: ``bilten-pair:<venue server URL>#<code>``."""
    return PairingPayload(venue_url, code).encode()


def looks_like_payload(text: str) -> bool:
    """Whether ``text`` is meant as a pairing payload (it may still be malformed)."""
    return text.strip()[: len(PAIRING_SCHEME)].lower() == PAIRING_SCHEME


def parse_payload(text: str) -> PairingPayload:
    """The venue URL and code from a pairing QR; raises PairingPayloadError otherwise.

    Surrounding whitespace (a keyboard-wedge scanner's Enter) and the scheme's case (a wedge
    with Caps Lock on) are forgiven; nothing else is.
    """
    payload = text.strip()
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise PairingPayloadError("payload", "this is too long to be a Bilten pairing code")
    if not looks_like_payload(payload):
        raise PairingPayloadError("payload", "this is not a Bilten pairing code")
    url, sep, code = payload[len(PAIRING_SCHEME) :].rpartition("#")
    if not sep:
        raise PairingPayloadError("payload", "this pairing code has no code after the address")
    try:
        return PairingPayload(url, code)
    except PairingPayloadError as exc:
        raise PairingPayloadError(exc.field, f"in this pairing code, {exc.detail}") from exc


def venue_url_from_input(text: str) -> str:
    """A venue URL as a person types it: ``192.168.1.20`` means ``http://192.168.1.20:8100``.

    A scheme-less address gets http:// and, without a port, the venue server's default one.
    """
    typed = text.strip()
    if typed and "://" not in typed:
        host_port = typed.rstrip("/")
        has_port = host_port.rsplit("]", 1)[-1].count(":") == 1
        typed = f"http://{host_port}" if has_port else f"http://{host_port}:{DEFAULT_VENUE_PORT}"
    return check_venue_url(typed)
