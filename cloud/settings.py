"""Cloud settings, built explicitly (never read at import time) so a test can make any."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cloud.db import DEFAULT_POOL
from cloud.errors import ConfigurationError
from cloud.notifications.config import (
    DEFAULT_MAIL_FROM,
    SmsSettings,
    SmtpSettings,
    parse_mail_from,
    parse_sms_settings,
    parse_smtp_url,
)
from cloud.ratelimit import Rule  # at run time: the app's signature models resolve this field
from shared.logs import LEVELS as LOG_LEVELS

MASTER_KEY_BYTES = 32
# More connections than any one process could use, and than most servers accept in all.
MAX_POOL = 1000
MASTER_KEY_FILE = "master.key"
JWT_SECRET_FILE = "jwt.secret"  # noqa: S105 - a file name, not a secret


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$BILTEN_DATA/cloud`` when set, else ``./bilten-data/cloud``."""
    env = os.environ if environ is None else environ
    root = env.get("BILTEN_DATA")
    return Path(root) / "cloud" if root else Path("bilten-data") / "cloud"


@dataclass(frozen=True, slots=True)
class CloudSettings:
    database_url: str
    master_key: bytes = field(repr=False)
    jwt_secret: str = field(repr=False)
    data_dir: Path
    # API credentials: a short-lived JWT access token and a rotating refresh token.
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 86_400
    # The web pages' cookie session; Secure cookies unless explicitly turned off for plain
    # http on a LAN address (browsers treat localhost as secure anyway).
    session_ttl_s: int = 14 * 86_400
    cookie_secure: bool = True
    # Where buyers and organizers reach the cloud, for links in emails (verify, reset, order).
    public_url: str = "http://127.0.0.1:8000"
    manifest_page_default: int = 500
    manifest_page_max: int = 1000
    worker_interval_s: float = 10.0
    # How long a buyer's hold keeps its seats before they return to stock.
    hold_seconds: int = 600
    # How long each API process answers an event's storefront (terms and seats left) from
    # what it read (cloud.events.storefront); 0 reads it for every request.
    storefront_cache_s: float = 1.0
    # Connections each process may hold open to the database (PostgreSQL; SQLite keeps its
    # own small pool): processes x this must stay within the server's max_connections.
    database_pool: int = DEFAULT_POOL
    # Who takes the money: "local" (the embedded demo's, paid at once) or "stripe".
    payment_provider: str = "local"
    # Stripe (payment_provider "stripe"): secret and publishable keys, the webhook signing
    # secret, and optionally another API base and Stripe.js address (a local test server).
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # How long an unpaid order keeps its seats before it is cancelled and they go back on sale.
    pending_order_seconds: int = 30 * 60
    # Outgoing email: an SMTP server (BILTEN_SMTP_URL), or None to write each message as an
    # .eml file into <data_dir>/mail, the embedded default. From: BILTEN_MAIL_FROM.
    smtp: SmtpSettings | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    # Text messages: an SMS provider's HTTP API (BILTEN_SMS_URL, BILTEN_SMS_TOKEN,
    # BILTEN_SMS_FROM), or None to write each as a .txt file into <data_dir>/sms.
    sms: SmsSettings | None = None
    # Rate limits and the page cache in Redis, shared by every API process; None keeps both
    # inside this one process (the embedded mode).
    redis_url: str | None = None
    redis_prefix: str = "bilten"
    # Reverse proxies (CIDRs) whose X-Forwarded-For names the client; none unless configured.
    trusted_proxies: tuple[str, ...] = ()
    # New organisations wait for a platform admin's approval before they may publish events
    # (BILTEN_APPROVE_ORGANISATIONS=1), for a platform where anyone can sign up to sell.
    approve_organisations: bool = False
    # Overrides of cloud.ratelimit.DEFAULT_RULES by action name, e.g. for a load test.
    rate_limits: Mapping[str, Rule] = field(default_factory=dict)
    # Log lines as JSON objects (for Logstash/Elasticsearch) instead of text, and from which
    # level on (debug, info, warning, error).
    log_json: bool = False
    log_level: str = "info"

    def __post_init__(self) -> None:
        if len(self.master_key) != MASTER_KEY_BYTES:
            raise ConfigurationError(f"the master key must be {MASTER_KEY_BYTES} bytes")
        if len(self.jwt_secret) < 32:
            raise ConfigurationError("the JWT secret must be at least 32 characters")
        if not 1 <= self.hold_seconds <= 86_400:
            raise ConfigurationError("the hold time must be between 1 second and 1 day")
        if not 0 <= self.storefront_cache_s <= 60:
            raise ConfigurationError(
                "BILTEN_STOREFRONT_CACHE_S: the storefront may be kept between 0 and 60 seconds"
            )
        if not 2 <= self.database_pool <= MAX_POOL:
            raise ConfigurationError(
                f"BILTEN_DATABASE_POOL: each process needs between 2 and {MAX_POOL} "
                "database connections"
            )
        _check_networks(self.trusted_proxies)
        _check_payments(self)
        if self.log_level not in LOG_LEVELS:
            raise ConfigurationError(
                f"BILTEN_LOG_LEVEL: {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}"
            )

    @property
    def is_embedded_database(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def embedded(cls, data_dir: Path) -> CloudSettings:
        """SQLite in ``data_dir``; secrets generated once into files only this user can read."""
        return cls.from_env(data_dir, environ={})

    @classmethod
    def from_env(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> CloudSettings:
        """The embedded defaults, overridden by BILTEN_DATABASE_URL, BILTEN_MASTER_KEY (Base64)
        and BILTEN_JWT_SECRET. A secret given in the environment is never written to disk.
        BILTEN_REDIS_URL (and BILTEN_REDIS_PREFIX) move rate limits and the page cache to Redis;
        BILTEN_TRUSTED_PROXIES lists the reverse proxies, comma-separated CIDRs.
        BILTEN_PUBLIC_URL is where people reach the pages (links in emails);
        BILTEN_COOKIE_SECURE=0 lets the page session work over plain http on a LAN address;
        BILTEN_APPROVE_ORGANISATIONS=1 holds new organisations' events back until approved.
        BILTEN_LOG_JSON=1 writes JSON log lines; BILTEN_LOG_LEVEL sets the least severe one.
        BILTEN_STOREFRONT_CACHE_S: how long each process keeps an event's storefront;
        BILTEN_DATABASE_POOL: how many database connections each process may open."""
        env = os.environ if environ is None else environ
        data_dir = data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = env.get("BILTEN_DATABASE_URL") or f"sqlite:///{data_dir / 'cloud.db'}"
        if "BILTEN_MASTER_KEY" in env:
            master_key = _decode_master_key(env["BILTEN_MASTER_KEY"])
        else:
            master_key = _secret_file(
                data_dir / MASTER_KEY_FILE, lambda: secrets.token_bytes(MASTER_KEY_BYTES)
            )
        if "BILTEN_JWT_SECRET" in env:
            jwt_secret = env["BILTEN_JWT_SECRET"]
        else:
            raw = _secret_file(
                data_dir / JWT_SECRET_FILE, lambda: secrets.token_urlsafe(48).encode("ascii")
            )
            jwt_secret = raw.decode("ascii")
        return cls(
            database_url=database_url,
            master_key=master_key,
            jwt_secret=jwt_secret,
            data_dir=data_dir,
            smtp=parse_smtp_url(env["BILTEN_SMTP_URL"]) if env.get("BILTEN_SMTP_URL") else None,
            mail_from=parse_mail_from(env.get("BILTEN_MAIL_FROM") or DEFAULT_MAIL_FROM),
            sms=(
                parse_sms_settings(
                    env["BILTEN_SMS_URL"], env.get("BILTEN_SMS_TOKEN"), env.get("BILTEN_SMS_FROM")
                )
                if env.get("BILTEN_SMS_URL")
                else None
            ),
            redis_url=env.get("BILTEN_REDIS_URL") or None,
            redis_prefix=env.get("BILTEN_REDIS_PREFIX") or "bilten",
            trusted_proxies=tuple(
                part.strip()
                for part in env.get("BILTEN_TRUSTED_PROXIES", "").split(",")
                if part.strip()
            ),
            # A secret key alone switches payments to Stripe, unless BILTEN_PAYMENT_PROVIDER
            # says otherwise.
            payment_provider=(
                env.get("BILTEN_PAYMENT_PROVIDER")
                or ("stripe" if env.get("BILTEN_STRIPE_SECRET_KEY") else "local")
            )
            .strip()
            .lower(),
            stripe_secret_key=env.get("BILTEN_STRIPE_SECRET_KEY") or None,
            stripe_publishable_key=env.get("BILTEN_STRIPE_PUBLISHABLE_KEY") or None,
            stripe_webhook_secret=env.get("BILTEN_STRIPE_WEBHOOK_SECRET") or None,
            stripe_api_base=env.get("BILTEN_STRIPE_API_BASE") or None,
            stripe_js_url=env.get("BILTEN_STRIPE_JS_URL") or "https://js.stripe.com/v3/",
            public_url=(env.get("BILTEN_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            cookie_secure=_flag(env, "BILTEN_COOKIE_SECURE", default=True),
            approve_organisations=_flag(env, "BILTEN_APPROVE_ORGANISATIONS", default=False),
            log_json=_flag(env, "BILTEN_LOG_JSON", default=False),
            log_level=(env.get("BILTEN_LOG_LEVEL") or "info").strip().lower(),
            storefront_cache_s=_seconds(env, "BILTEN_STOREFRONT_CACHE_S", default=1.0),
            database_pool=_count(env, "BILTEN_DATABASE_POOL", default=DEFAULT_POOL),
        )


def _seconds(env: Mapping[str, str], name: str, *, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigurationError(f"{name}: {value!r} is not a number of seconds") from None
    if not math.isfinite(seconds):
        raise ConfigurationError(f"{name}: {value!r} is not a number of seconds")
    return seconds


def _count(env: Mapping[str, str], name: str, *, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}: {value!r} is not a whole number") from None


def _check_payments(settings: CloudSettings) -> None:
    if settings.payment_provider not in {"local", "stripe"}:
        raise ConfigurationError(
            f"BILTEN_PAYMENT_PROVIDER: unknown payment provider {settings.payment_provider!r}; "
            "use local or stripe"
        )
    if settings.payment_provider == "stripe":
        if not settings.stripe_secret_key:
            raise ConfigurationError("Stripe payments need BILTEN_STRIPE_SECRET_KEY (sk_...)")
        if not settings.stripe_webhook_secret:
            raise ConfigurationError(
                "Stripe payments need BILTEN_STRIPE_WEBHOOK_SECRET (whsec_...), the signing "
                "secret of the webhook endpoint /api/v1/payments/stripe/webhook"
            )
    if not 60 <= settings.pending_order_seconds <= 7 * 86_400:
        raise ConfigurationError("the unpaid-order time must be between 1 minute and 7 days")


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}: {text!r} is neither true nor false (use 1 or 0)")


def _check_networks(cidrs: tuple[str, ...]) -> None:
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"BILTEN_TRUSTED_PROXIES: {cidr!r} is not an IP address or CIDR network, "
                "such as 10.0.0.0/8"
            ) from None


def _decode_master_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ConfigurationError("BILTEN_MASTER_KEY is not Base64") from exc
    if len(key) != MASTER_KEY_BYTES:
        raise ConfigurationError(f"BILTEN_MASTER_KEY must decode to {MASTER_KEY_BYTES} bytes")
    return key


def _secret_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """Read ``path``, or create it with mode 0600; O_EXCL makes a racing second start read
    the winner's secret instead of overwriting it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = path.read_bytes()
        if not data:
            raise ConfigurationError(f"{path} is empty; delete it to generate a new one") from None
        return data
    value = make()
    with os.fdopen(fd, "wb") as out:
        out.write(value)
    return value
