"""The pages' templates: where they live, the filters they use and how a handler renders one.

How a handler renders a page
----------------------------
Return :func:`page` (a Litestar ``Template`` response)::

    @get("/organizer", sync_to_thread=True)
    def home(self, current_user: CurrentUser, ...) -> Template:
        user = require_user(current_user, request)   # cloud.web.deps
        return page("organizer/home.html", events=..., user=user)

Every template extends ``base.html`` (blocks ``title`` and ``content``). Its nav shows who is
logged in from ``viewer()``, which the ``current_user`` dependency fills in, so a handler
that renders the layout should take ``current_user`` even when it does not need it. Inside a
form, ``{{ csrf_field() }}`` writes the hidden CSRF input every POST needs. Filters:
``money(currency)`` for minor units (``1250|money("EUR")`` → ``€12.50``),
``datetime``/``date``/``time`` for Unix seconds or datetimes (UTC, unambiguous in any
locale), ``iso`` for ``<time datetime>``; ``static_url("site.css")`` names a static file with
its content hash, so browsers may cache it for long.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.base import csrf_token
from litestar.template.config import TemplateConfig
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from cloud.venues import zones
from cloud.web.media import media_srcset

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
CSRF_FIELD = "_csrf_token"
# Rendered into a page cached for every anonymous visitor in place of the visitor's own CSRF
# token, which is put in when the page is served (cloud.web.cached_pages).
CSRF_PLACEHOLDER = "__bilten_csrf_token__"

# Currencies written with their symbol first; any other is written "12.50 CHF".
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
# ISO 4217 minor units where they are not 2.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "JOD": 3}


def money(amount: int, currency: str) -> str:
    """``amount`` minor units of ``currency``: ``money(1250, "EUR") == "€12.50"``."""
    code = currency.upper()
    digits = _MINOR_DIGITS.get(code, 2)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**digits)
    number = f"{whole:,}" + (f".{part:0{digits}d}" if digits else "")
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"


def _moment(value: int | float | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, UTC)


def _local(value: int | float | datetime | None, zone: str) -> datetime | None:
    moment = _moment(value)
    return None if moment is None else moment.astimezone(zones.zone(zone))


def format_datetime(value: int | float | datetime | None, zone: str = zones.DEFAULT) -> str:
    """``Sat 1 Jun 2030, 20:00 CEST`` in ``zone`` (a venue's; UTC unless given), as
    cloud.venues.zones.wall_clock writes it."""
    moment = _moment(value)
    return "" if moment is None else zones.wall_clock(moment, zone)


def format_date(value: int | float | datetime | None, zone: str = zones.DEFAULT) -> str:
    moment = _local(value, zone)
    if moment is None:
        return ""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def format_time(value: int | float | datetime | None, zone: str = zones.DEFAULT) -> str:
    moment = _local(value, zone)
    return "" if moment is None else f"{moment:%H:%M} {zones.abbreviation(moment)}"


def iso(value: int | float | datetime | None) -> str:
    """Machine-readable, for ``<time datetime>`` and the countdown script."""
    moment = _moment(value)
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@cache
def _static_version(name: str) -> str:
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: a new version is a new URL, so caching is safe."""
    version = _static_version(name)
    return f"{STATIC_PATH}/{name}" + (f"?v={version}" if version else "")


def csrf_token_of(request: Request[Any, Any, Any]) -> str:
    """The visitor's CSRF token, as the middleware set it for this request."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


@pass_context
def csrf_field(context: Mapping[str, Any]) -> Markup:
    """The hidden input carrying the visitor's CSRF token, for every form that POSTs."""
    token = context.get("csrf_placeholder") or csrf_token(context)
    return Markup(  # noqa: S704 - the token is escaped here
        f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">'
    )


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["money"] = money
    env.filters["datetime"] = format_datetime
    env.filters["date"] = format_date
    env.filters["time"] = format_time
    env.filters["iso"] = iso
    env.globals["static_url"] = static_url
    env.globals["csrf_field"] = csrf_field
    env.globals["viewer"] = viewer
    env.globals["media_srcset"] = media_srcset
    env.globals["time_zones"] = zones.choices


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=_configure
    )


@pass_context
def viewer(context: Mapping[str, Any]) -> Any:
    """Who is looking (a :class:`cloud.web.deps.Viewer`), or None: set on the request by the
    ``current_user`` dependency, so the layout's nav never depends on what a handler passed."""
    request = context.get("request")
    return None if request is None else request.state.get("viewer")


def page(
    template_name: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Template:
    """The page ``template_name`` with ``context``."""
    return Template(
        template_name=template_name,
        context=context,
        status_code=status_code,
        headers=dict(headers or {}),
    )


def render(request: Request[Any, Any, Any], template_name: str, **context: Any) -> str:
    """The HTML of ``template_name``, for pages that are cached or post-processed; for a
    page shared by visitors give ``csrf_placeholder=CSRF_PLACEHOLDER``."""
    engine = request.app.template_engine
    assert engine is not None  # the app is always built with template_config()
    template = engine.get_template(template_name)
    text: str = template.render(request=request, **context)
    return text
