"""Where messages go: email to an SMTP server named by one URL, text messages to an SMS
provider's HTTP API; or (the embedded default) each to a folder.

Kept free of heavy imports because ``cloud.settings`` builds it at start-up."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from cloud.errors import ConfigurationError

DEFAULT_MAIL_FROM = "Bilten <no-reply@bilten.localhost>"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_URL_HELP = (
    "set BILTEN_SMTP_URL like smtp://user:password@mail.example.org:587?starttls=1 "
    "(smtps://... for TLS from the first byte; percent-encode special characters)"
)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """One SMTP server. ``tls`` wraps the connection from the first byte (port 465);
    ``starttls`` upgrades a plain one (port 587). The password never shows in a repr."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    tls: bool = False
    timeout_s: float = 30.0

    @property
    def address(self) -> str:
        """Host and port, safe to log."""
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://[user[:password]@]host[:port][?starttls=1]`` or ``smtps://...``."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ConfigurationError(
            f"BILTEN_SMTP_URL must start with smtp:// or smtps://; {_URL_HELP}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"BILTEN_SMTP_URL has an invalid port; {_URL_HELP}") from None
    if not parts.hostname:
        raise ConfigurationError(f"BILTEN_SMTP_URL names no host; {_URL_HELP}")
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ConfigurationError(
            f"BILTEN_SMTP_URL has unknown options {sorted(unknown)}; only starttls is understood"
        )
    starttls = _flag(query.get("starttls", ["0"])[-1])
    tls = parts.scheme == "smtps"
    if tls and starttls:
        raise ConfigurationError("BILTEN_SMTP_URL: smtps:// is already encrypted; drop starttls")
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if tls else 587 if starttls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        starttls=starttls,
        tls=tls,
    )


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"BILTEN_SMTP_URL: starttls must be 1 or 0, not {text!r}")


def parse_mail_from(text: str) -> str:
    """``BILTEN_MAIL_FROM``: ``tickets@example.org`` or ``Shop <tickets@example.org>``."""
    from email.utils import parseaddr

    _name, address = parseaddr(text)
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or "\n" in text or "\r" in text:
        raise ConfigurationError(
            f"BILTEN_MAIL_FROM {text!r} is not a sender address; "
            "use tickets@example.org or 'Example Tickets <tickets@example.org>'"
        )
    return text


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """The provider's endpoint, bearer token and the sender name or number shown."""

    url: str
    token: str = field(repr=False)
    sender: str
    timeout_s: float = 15.0

    @property
    def address(self) -> str:
        """Scheme, host and port: safe to log."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def parse_sms_settings(url: str, token: str | None, sender: str | None) -> SmsSettings:
    """``BILTEN_SMS_URL``, ``BILTEN_SMS_TOKEN`` and ``BILTEN_SMS_FROM``. The token travels
    in a header, so plain ``http://`` is refused except to this machine (a local relay)."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ConfigurationError(
            "BILTEN_SMS_URL must be the provider's https:// address for sending a message"
        )
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigurationError(
            "BILTEN_SMS_URL must use https:// (plain http is only allowed to this machine)"
        )
    if parts.username or parts.password:
        raise ConfigurationError("BILTEN_SMS_URL must not carry a password; use BILTEN_SMS_TOKEN")
    if not token:
        raise ConfigurationError("BILTEN_SMS_URL needs BILTEN_SMS_TOKEN, the provider's API token")
    if not sender or not sender.strip() or len(sender.strip()) > 16:
        raise ConfigurationError(
            "BILTEN_SMS_FROM must name the sender shown on phones (a number or up to 11 "
            "letters, at most 16 characters)"
        )
    return SmsSettings(url=url, token=token, sender=sender.strip())


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
