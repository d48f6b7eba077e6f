"""The venue manager's dashboard: devices, pairing, live entries, occupancy, conflicts, readiness.

Server-rendered pages (Jinja2) with a small script that polls the JSON API every two seconds.
Everything under ``/dashboard`` needs a manager session (see :mod:`.auth`).
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router, get
from litestar.datastructures import ResponseHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from venue_server.dashboard.auth import BASE, dashboard_error, manager_guard
from venue_server.dashboard.controllers import DashboardController, LoginController
from venue_server.errors import VenueError

_HERE = Path(__file__).parent
TEMPLATES = _HERE / "templates"
STATIC = _HERE / "static"


@get("/", sync_to_thread=False, opt={"assets": True})
def root() -> Redirect:
    """A manager who types just the server's address lands on the dashboard."""
    return Redirect(BASE, status_code=303)


# The pages load only their own script and style; no other site may frame them (a framed
# dashboard could be clicked into revoking a gate).
SECURITY_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def dashboard_router() -> Router:
    """Every dashboard route, behind one guard and one error mapping."""
    assets = create_static_files_router(
        path=f"{BASE}/static", directories=[STATIC], opt={"assets": True}, name="dashboard-static"
    )
    return Router(
        path="/",
        route_handlers=[root, LoginController, DashboardController, assets],
        guards=[manager_guard],
        exception_handlers={VenueError: dashboard_error},
        include_in_schema=False,
        response_headers=SECURITY_HEADERS,
    )
