"""Log lines of the Bilten servers: one JSON object a line (for Logstash or Elasticsearch) or
a readable line, with the id of the request each belongs to, and never a secret.

Every module keeps logging through the standard library (``logging.getLogger(__name__)``);
structlog only shapes the lines, so the frameworks' own loggers (uvicorn, SQLAlchemy, ...)
come out in the same form. A JSON line looks like::

    {"@timestamp": "2026-11-25T19:02:11.532Z", "level": "info", "logger": "bilten.access",
     "message": "POST /api/v1/shop/holds 200", "request_id": "3f2a...", "pid": 812,
     "method": "POST", "path": "/api/v1/shop/holds", "status": 200, "duration_ms": 12.4,
     "client": "10.0.0.7"}

Secrets are kept out three ways, each catching what the others might miss: the loggers that
would print request bodies or SQL parameters at DEBUG are held at a quieter level; values
under keys such as ``password`` or ``token`` are replaced; and what is left is scrubbed of
the known shapes of credentials (Bearer headers, JWTs, passwords in URLs, Stripe and venue
keys) and of every secret value the server was started with.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO, cast

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"
LEVELS = ("debug", "info", "warning", "error", "critical")

# Extra fields the access log (and any other caller of ``extra=``) may add to a line.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "client", "event_id", "venue_id")

# Keys whose values are never written, whatever they hold.
SECRET_KEYS = frozenset(
    {
        "password",
        "token",
        "secret",
        "authorization",
        "cookie",
        "set-cookie",
        "api_key",
        "access_token",
        "refresh_token",
        "device_token",
        "hold_token",
        "client_secret",
        "session",
    }
)

# The shapes credentials take, wherever they turn up in a message or a traceback.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"), rf"\1\2{REDACTED}"),
    # user:password@ in a URL (database, Redis, SMTP)
    (re.compile(r"(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"), REDACTED),
    # JSON Web Tokens: header.payload.signature, the first two Base64 JSON objects
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]+"), REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), REDACTED),
    (re.compile(r"\b(?:pi|seti|cs)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"), REDACTED),
    (re.compile(r"\bbvk_[A-Za-z0-9_-]+"), REDACTED),  # a venue's API key
    (re.compile(r"(?i)\b(password|passwd|pwd|secret|token)=[^\s&;,]+"), rf"\1={REDACTED}"),
)

# What every shape above starts with or contains; a value without any of these has none.
_MAYBE_CREDENTIAL = re.compile(
    r"(?i)bearer|basic|://|eyJ|sk_|rk_|whsec_|_secret_|bvk_|password=|passwd=|pwd=|"
    r"secret=|token="
)

# Shorter values are too likely to occur by chance to be replaced wherever they appear.
MIN_SECRET_LENGTH = 8

# Loggers that print request or response bodies, SQL parameters or headers when allowed to
# say everything; they are held here even when the server logs at DEBUG.
_QUIET: Mapping[str, int] = {
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
    "stripe": logging.INFO,
    "httpcore": logging.INFO,
    "httpx": logging.WARNING,
    "hpack": logging.WARNING,
    "multipart": logging.INFO,
    "apscheduler": logging.WARNING,
    "asyncio": logging.WARNING,
    "aiosmtpd": logging.INFO,
    "mail.log": logging.INFO,
    # The servers write their own access lines (with secrets taken out of the paths).
    "uvicorn.access": logging.CRITICAL + 1,
}


# Fields the logging set-up itself fills in, never from what a caller or a client gave.
_OWN_FIELDS = frozenset({"@timestamp", "level", "logger", "pid"})
# Values with nothing to scrub (numbers, flags); under a secret's name they still go.
_PLAIN = frozenset({int, float, bool, type(None)})
# Scrubbed values remembered: a server's lines repeat the same messages, paths, methods and
# clients over and over. Only short values, and at most this many before starting afresh.
_REMEMBERED = 4096
_REMEMBERED_LENGTH = 256


class Redactor:
    """A structlog processor that takes secrets out of a line before it is written."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values = sorted(
            {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        self._scrubbed: dict[str, str] = {}

    def scrub(self, text: str) -> str:
        if len(text) > _REMEMBERED_LENGTH:
            return self._scrub(text)
        clean = self._scrubbed.get(text)
        if clean is None:
            if len(self._scrubbed) >= _REMEMBERED:
                self._scrubbed.clear()
            clean = self._scrubbed[text] = self._scrub(text)
        return clean

    def _scrub(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        # One quick look first: most values (routes, numbers, names) hold no credential.
        if _MAYBE_CREDENTIAL.search(text):
            for pattern, replacement in _SHAPES:
                text = pattern.sub(replacement, text)
        return text

    def _clean(self, value: object) -> object:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {k: REDACTED if _secret_key(k) else self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            if key in _OWN_FIELDS:
                continue
            if _secret_key(key):
                event_dict[key] = REDACTED
            elif value.__class__ not in _PLAIN:
                event_dict[key] = self._clean(value)
        return event_dict


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS


_FIRST = ("@timestamp", "level", "logger", "message", "request_id")
# What a text line leaves out: what an access line's message says already, and the process
# id (one process writes to a terminal or journal; JSON lines from several share a stream).
_IN_MESSAGE = frozenset({"method", "path", "status", "pid"})


def _add_pid(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    event_dict["pid"] = os.getpid()
    return event_dict


def _first_keys_first(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Time, level, logger and message lead each line, whatever order they were added in."""
    ordered = {key: event_dict.pop(key) for key in _FIRST if key in event_dict}
    ordered.update(event_dict)
    return ordered


def _text_line(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> str:
    """``2026-11-25T19:02:11.532Z INFO logger: message key=value ...``, then any traceback."""
    stamp = event_dict.pop("@timestamp", "")
    level = str(event_dict.pop("level", "")).upper()
    name = event_dict.pop("logger", "")
    message = event_dict.pop("message", "")
    trace = event_dict.pop("exception", None)
    fields = "".join(
        f" {key}={value}" for key, value in event_dict.items() if key not in _IN_MESSAGE
    )
    line = f"{stamp} {level} {name}: {message}{fields}"
    return f"{line}\n{trace}" if trace else line


# What a plain record's line never takes from the bound context: the record's own fields.
_NOT_FROM_CONTEXT = frozenset({"event", "_record", "_from_structlog", *_FIRST})


class _LineFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, with the lines of plain ``logging`` calls without a traceback
    (nearly every line: every access line) made straight in the shape its processors give
    them: copying each record and passing it through a dozen processors cost more than the
    rest of a request answered from memory. The same keys in the same order, the same
    redaction and renderer (tests/shared/test_logs.py compares the two); the time is the
    record's own."""

    def __init__(self, *, redactor: Redactor, renderer: Processor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._redactor = redactor
        self._renderer = renderer

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info or hasattr(record, "_logger"):
            return super().format(record)
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z")
        line: EventDict = {
            "@timestamp": stamp,
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = structlog.contextvars.get_contextvars()
        if "request_id" in context:
            line["request_id"] = context["request_id"]
        for key, value in context.items():
            if key not in _NOT_FROM_CONTEXT:
                line[key] = value
        fields = record.__dict__
        for key in EXTRA_FIELDS:
            if key in fields:
                line[key] = fields[key]
        line["pid"] = os.getpid()
        rendered = self._renderer(None, record.levelname.lower(), self._redactor(None, "", line))
        return cast(str, rendered)


def configure_logging(
    *,
    json_lines: bool,
    level: str = "info",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Send every log record of this process to ``stream`` (stderr) as JSON or text lines at
    ``level`` and above, with ``secrets`` (the server's keys and passwords) never written."""
    if level.lower() not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LEVELS)}")
    before: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(EXTRA_FIELDS),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="@timestamp"),
        _add_pid,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json_lines else _text_line
    )
    redactor = Redactor(secrets)
    formatter = _LineFormatter(
        redactor=redactor,
        renderer=renderer,
        foreign_pre_chain=before,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Plain text tracebacks: structured ones would carry every frame's local variables.
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            redactor,
            _first_keys_first,
            renderer,
        ],
    )
    # No line shows where in the code, or in which thread, a record was made (the process
    # id is added by _add_pid): the standard library need not look each one up.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quietest in _QUIET.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(quietest, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        # uvicorn adds handlers of its own when given a log config; ours is the only one.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[*before, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
