"""The venue manager's login: password hashing, sessions, CSRF tokens and a login throttle.

The password is hashed with scrypt from the standard library: it is memory-hard (a guess costs
64 MiB here, which is what makes GPU guessing slow), and the venue machine needs no compiled
dependency for it. The parameters travel inside the stored hash, so they can be raised later
without locking anyone out.

Sessions are long random tokens in an HttpOnly cookie, stored only as SHA-256 hashes, so a copy
of the database opens no dashboard. Each session's CSRF token is derived from its cookie with
HMAC: a page from another site can neither read the cookie nor compute the token.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from venue_server.errors import VenueError
from venue_server.store import VenueStore

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# OWASP's scrypt setting with 64 MiB of memory (N=2^16, r=8, p=2).
_N, _R, _P = 2**16, 8, 2
_MAXMEM = 256 * 1024 * 1024
_SCHEME = "scrypt"
# A shift, not a season: a laptop left logged in overnight asks again in the morning.
SESSION_SECONDS = 12 * 3600
# Checking a password borrows 64 MiB; a burst of logins waits instead of exhausting memory.
_HASHING = threading.BoundedSemaphore(2)


class ManagerError(VenueError):
    """Root of the dashboard's login errors."""


class NoManagerPassword(ManagerError):
    """No manager password has been set on this venue machine yet."""

    def __init__(self) -> None:
        super().__init__(
            "no manager password is set: run `bilten venue manager-password` on the venue "
            "machine, then reload this page"
        )


class LoginRequired(ManagerError):
    """The request carries no valid manager session."""


class CsrfRefused(ManagerError):
    """A state-changing request without this session's CSRF token."""


class LoginThrottled(ManagerError):
    """Too many failed logins from one address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins from this address; try again in {retry_after} s")
        self.retry_after = retry_after


class WeakPassword(ManagerError):
    """A new password that is too short or too long."""


# -- passwords -------------------------------------------------------------------------------


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the manager password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the manager password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    with _HASHING:
        return hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32
        )


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$digest`` for a password that passed :func:`check_new_password`."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(check_new_password(password), salt, _N, _R, _P)
    return "$".join((_SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed stored value matches nothing."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = _scrypt(password, base64.urlsafe_b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def set_manager_password(store: VenueStore, password: str) -> None:
    """Set the password and log out every open dashboard."""
    store.set_manager_password_hash(hash_password(password))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


# -- sessions --------------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session: only its cookie's holder can compute it."""
    return hmac.new(session_token.encode("utf-8"), b"bilten-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, supplied: str | None) -> bool:
    if not supplied:
        return False
    return hmac.compare_digest(csrf_token(session_token).encode(), supplied.encode())


def open_session(store: VenueStore, now: int) -> str:
    """A new session's cookie value (the store keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    store.add_manager_session(_sha256(token), now, now + SESSION_SECONDS)
    return token


def session_active(store: VenueStore, token: str | None, now: int) -> bool:
    return bool(token) and store.manager_session_active(_sha256(str(token)), now)


def close_session(store: VenueStore, token: str | None) -> None:
    if token:
        store.end_manager_session(_sha256(token))


# -- login throttle --------------------------------------------------------------------------


@dataclass
class LoginThrottle:
    """Failed logins per client address in a sliding window, kept in this process.

    After ``max_failures`` failures within ``window`` seconds an address is refused, even with
    the right password, until its oldest failure leaves the window. A good login clears the
    address's record.
    """

    max_failures: int = 5
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if failures:
            self._failures[client] = failures
        else:
            self._failures.pop(client, None)
        return failures

    def check(self, client: str) -> None:
        """Raise :class:`LoginThrottled` if ``client`` may not try now."""
        with self._lock:
            now = self.clock()
            failures = self._recent(client, now)
            if len(failures) >= self.max_failures:
                retry = max(1, int(failures[0] + self.window - now + 0.999))
                raise LoginThrottled(retry)

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            self._recent(client, now)
            self._failures.setdefault(client, deque()).append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


# -- setting the password on the venue machine ----------------------------------------------


class PasswordMismatch(ManagerError):
    """The two passwords typed differ."""


def read_new_password(
    from_stdin: bool, stdin: TextIO, ask: Callable[[str], str] = getpass.getpass
) -> str:
    """The new password: one line from ``stdin`` for scripts, else typed twice unseen."""
    if from_stdin:
        return check_new_password(stdin.readline().rstrip("\r\n"))
    if not stdin.isatty():
        raise ManagerError(
            "no terminal to type the password in; pipe it with --password-stdin instead"
        )
    first = check_new_password(ask("New manager password: "))
    if ask("Type it again: ") != first:
        raise PasswordMismatch("the two passwords differ; nothing was changed")
    return first
