"""Who may open the admin pages: platform admins only. A visitor without a session is sent
to the login page like on every page that needs an account; anyone else logged in gets the
same 404 as an address that does not exist, so the pages give nothing away (the JSON API
answers such callers 403, as it always has)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.response import Redirect

from cloud.errors import NotFound
from cloud.users.models import User
from cloud.web.deps import local_path, require_user

BASE = "/admin"
PAGE_SIZE = 50


def require_admin(current_user: User | None, request: Request[Any, Any, Any]) -> User:
    user = require_user(current_user, request)
    if not user.is_admin:
        raise NotFound("There is no page at this address.")
    return user


def back_to(target: str, fallback: str, done: str) -> Redirect:
    """Back to the list the form was sent from (its filters kept), with a notice."""
    path = local_path(target)
    if path is None or not (path == BASE or path.startswith(BASE + "/")):
        path = fallback
    joiner = "&" if "?" in path else "?"
    return Redirect(f"{path}{joiner}{urlencode({'done': done})}", status_code=303)


def page_number(value: str | None) -> int:
    """A ``page`` query value as a number from 1; anything else is the first page."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 6:
        return 1
    return max(1, int(value))


@dataclass(frozen=True, slots=True)
class Pager:
    number: int
    previous: str | None
    next: str | None


def pager(request: Request[Any, Any, Any], number: int, more: bool) -> Pager:
    """Links to the pages before and after ``number``, the list's filters kept."""

    def link(to: int) -> str:
        query = [(k, v) for k, v in request.query_params.items() if k not in {"page", "done"}]
        return f"{request.url.path}?{urlencode([*query, ('page', str(to))])}"

    return Pager(
        number, link(number - 1) if number > 1 else None, link(number + 1) if more else None
    )


def here(request: Request[Any, Any, Any]) -> str:
    """This page's path and query without a notice, for forms to come back to."""
    query = [(k, v) for k, v in request.query_params.items() if k != "done"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")
