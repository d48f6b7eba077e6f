"""Who is looking at a page: the ``bilten_session`` cookie, the ``current_user`` dependency and
the redirect to the login page for pages that need an account.

A page handler takes ``current_user: CurrentUser`` (``User | None``); one that needs an account
calls ``user = require_user(current_user, request)``, which sends a visitor without one to
``/account/login?next=<this page>``. The login form sets the cookie with :func:`session_cookie`
and logging out clears it with :func:`cleared_session_cookie`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency

from cloud.audit.actor import Actor, attach
from cloud.clock import now_s
from cloud.deps import Db
from cloud.settings import CloudSettings
from cloud.users import sessions
from cloud.users.models import User
from cloud.web.queries import belongs_to_organisation

SESSION_COOKIE = "bilten_session"
# The holds a visitor made lately, so a buyer who closed the tab finds the cart again.
CART_COOKIE = "bilten_cart"
LOGIN_PATH = "/account/login"

CurrentUser = NamedDependency[User | None]


@dataclass(frozen=True, slots=True)
class Viewer:
    """What the layout shows about the logged-in visitor."""

    user_id: int
    name: str
    email: str
    is_organizer: bool
    is_admin: bool = False


class LoginRequired(Exception):
    """The page needs an account: answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def provide_current_user(request: Request[Any, Any, Any], db: Db) -> User | None:
    """The account of the visitor's session cookie, or None; also tells the layout."""
    request.state.viewer = None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = sessions.session_user(db, token, now_s())
    if user is not None:
        attach(db, actor=Actor.account(user.id, user.email))
        request.state.viewer = Viewer(
            user_id=user.id,
            name=user.name,
            email=user.email,
            is_organizer=belongs_to_organisation(db, user.id),
            is_admin=user.is_admin,
        )
    # Ends the read's transaction (on SQLite it holds the write lock); the handler starts its
    # own, and the loaded user stays usable (the session does not expire on commit).
    db.commit()
    return user


def require_user(user: User | None, request: Request[Any, Any, Any]) -> User:
    """``user``, or a redirect to the login page that comes back here afterwards."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def login_url(next_path: str | None) -> str:
    safe = local_path(next_path)
    return LOGIN_PATH if safe is None else f"{LOGIN_PATH}?next={quote(safe, safe='/?=&')}"


def local_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site ("/events/3"), else None: a ``next`` that
    names another site ("//evil.example", "https://...", "/\\evil") would turn the login form
    into an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def session_cookie(settings: CloudSettings, token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/",
        max_age=settings.session_ttl_s,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )


def cleared_session_cookie(settings: CloudSettings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        path="/",
        max_age=0,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
