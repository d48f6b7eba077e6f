"""The manager's login: nothing of the dashboard without it, CSRF on changes, a throttle on
guessing, and a password set only on the venue machine."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from shared.cli import main
from tests.support import serving
from tests.venue.conftest import Venue
from tests.venue.dashboard_harness import (  # noqa: F401 - fixtures
    PASSWORD,
    Dashboard,
    Manager,
    dashboard_fixture,
    manager_fixture,
)
from venue_server.app import create_app
from venue_server.managers import (
    PasswordMismatch,
    WeakPassword,
    read_new_password,
    set_manager_password,
    verify_password,
)
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

# Served to anyone, by design: the login form, the way to it, and the page's CSS and script.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/dashboard/login"),
    ("POST", "/dashboard/login"),
    ("GET", "/dashboard/static/{file_path:path}"),
    ("HEAD", "/dashboard/static/{file_path:path}"),
}
OPS_PREFIXES = ("/health", "/metrics", "/schema")
SCANNER_PREFIX = "/api/v1"
PAIRING = ("POST", "/api/v1/pair")


def _routes(app: Litestar) -> list[tuple[str, str]]:
    """Every method and path the app serves, OPTIONS aside (it only lists methods)."""
    found = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), (
            f"{route.path} is not an HTTP route: give it a check here before serving it"
        )
        found += [(m, route.path) for m in sorted(route.methods) if m != "OPTIONS"]
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "dashboard.css", path)


def _dashboard_routes(app: Litestar) -> list[tuple[str, str]]:
    return [
        (method, path)
        for method, path in _routes(app)
        if not path.startswith((SCANNER_PREFIX, *OPS_PREFIXES))
    ]


@pytest.fixture
def app(settings: VenueSettings, store: VenueStore) -> Litestar:
    return create_app(settings, store=store, sync=False)


@pytest.fixture
def venue_without_password(
    app: Litestar, settings: VenueSettings, store: VenueStore
) -> Iterator[Venue]:
    with serving(app) as server:
        yield Venue(server.url, store, settings)


def test_without_a_password_the_dashboard_only_says_how_to_set_one(
    app: Litestar, venue_without_password: Venue
) -> None:
    with httpx.Client(base_url=venue_without_password.url, timeout=10) as http:
        page = http.get("/dashboard", follow_redirects=True)
        assert page.status_code == 503
        assert "bilten venue manager-password" in page.text
        assert 'name="password"' not in page.text
        for method, path in _dashboard_routes(app):
            if "/static/" in path or path == "/":
                continue
            answer = http.request(method, _concrete(path), json={})
            assert answer.status_code == 503, (method, path, answer.text)


def test_every_dashboard_route_refuses_a_visitor_without_a_session(
    app: Litestar, dashboard: Dashboard
) -> None:
    served_without_login = set()
    with httpx.Client(base_url=dashboard.url, timeout=10) as http:
        for method, path in _dashboard_routes(app):
            answer = http.request(method, _concrete(path), json={})
            if answer.status_code == 303:
                assert answer.headers["location"] in ("/dashboard/login", "/dashboard")
                if answer.headers["location"] == "/dashboard/login":
                    continue
            if answer.status_code == 401:
                assert "log in" in answer.json()["detail"]
                continue
            served_without_login.add((method, path))

    assert served_without_login == PUBLIC


def test_the_login_page_names_an_icon_that_is_served(dashboard: Dashboard) -> None:
    with httpx.Client(base_url=dashboard.url, timeout=10) as http:
        page = http.get("/dashboard/login").text
        icon = http.get("/dashboard/static/favicon.svg")
    assert 'rel="icon" type="image/svg+xml" href="/dashboard/static/favicon.svg"' in page
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/svg+xml")


def test_every_scanner_route_wants_a_device_token(app: Litestar, dashboard: Dashboard) -> None:
    with httpx.Client(base_url=dashboard.url, timeout=10) as http:
        for method, path in _routes(app):
            if not path.startswith(SCANNER_PREFIX) or (method, path) == PAIRING:
                continue
            answer = http.request(method, _concrete(path), content=b'{"v":1,"scans":[]}')
            assert answer.status_code == 401, (method, path)
        # A manager's session is no device token.
        manager = dashboard.manager()
        assert manager.http.get("/api/v1/scans").status_code == 401


def test_a_change_without_the_pages_csrf_token_is_refused_and_changes_nothing(
    dashboard: Dashboard, manager: Manager
) -> None:
    device = dashboard.venue.pair("Tablet 1")
    path = f"/dashboard/api/devices/{device.device_id}/name"

    missing = manager.http.post(path, json={"name": "Hijacked"})
    wrong = manager.http.post(path, json={"name": "Hijacked"}, headers={"X-CSRF-Token": "0" * 64})

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "CSRF" in missing.json()["detail"]
    assert manager.device(device.device_id)["name"] == "Tablet 1"
    assert manager.post(path, {"name": "North door"}).status_code == 200
    assert manager.device(device.device_id)["name"] == "North door"


def test_logging_in_gives_a_strict_http_only_cookie_and_logging_out_ends_it(
    dashboard: Dashboard,
) -> None:
    manager = Manager(httpx.Client(base_url=dashboard.url, timeout=10))
    answer = manager.login(PASSWORD)

    cookie = next(c for c in answer.headers.get_list("set-cookie") if "bilten_manager=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain HTTP on the LAN; set over https
    session = manager.http.cookies["bilten_manager"]
    assert manager.http.get("/dashboard").status_code == 200

    out = manager.http.post("/dashboard/logout", data={"csrf_token": manager.csrf})

    assert out.status_code == 303
    with httpx.Client(base_url=dashboard.url, cookies={"bilten_manager": session}) as stolen:
        assert stolen.get("/dashboard/api/overview").status_code == 401
        assert stolen.get("/dashboard").headers["location"] == "/dashboard/login"


def test_a_wrong_password_is_told_and_opens_nothing(dashboard: Dashboard) -> None:
    manager = Manager(httpx.Client(base_url=dashboard.url, timeout=10))

    answer = manager.login("not the password")

    assert answer.status_code == 401
    assert "Wrong password" in answer.text
    assert manager.http.get("/dashboard/api/overview").status_code == 401


def test_a_login_posted_from_another_page_is_refused(dashboard: Dashboard) -> None:
    with httpx.Client(base_url=dashboard.url, timeout=10) as http:
        answer = http.post(
            "/dashboard/login", data={"password": PASSWORD, "login_token": "made-up"}
        )

    assert answer.status_code == 403
    assert "bilten_manager" not in answer.headers.get("set-cookie", "")


def test_repeated_wrong_passwords_lock_the_address_out_for_a_while(dashboard: Dashboard) -> None:
    manager = Manager(httpx.Client(base_url=dashboard.url, timeout=10))
    for _ in range(5):
        assert manager.login("guess").status_code == 401

    locked = manager.login(PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    assert int(locked.headers["retry-after"]) == 300
    assert manager.http.get("/dashboard/api/overview").status_code == 401

    dashboard.throttle_clock.advance(301)
    assert manager.login(PASSWORD).status_code == 303


def test_a_new_password_logs_out_every_open_dashboard(
    dashboard: Dashboard, manager: Manager
) -> None:
    assert manager.http.get("/dashboard/api/overview").status_code == 200

    set_manager_password(dashboard.store, "a brand new passphrase")

    assert manager.http.get("/dashboard/api/overview").status_code == 401
    assert Manager(httpx.Client(base_url=dashboard.url)).login(PASSWORD).status_code == 401
    assert dashboard.manager("a brand new passphrase").overview()["devices"] == []


def test_a_session_survives_a_restart_of_the_venue_server(
    settings: VenueSettings, store: VenueStore
) -> None:
    set_manager_password(store, PASSWORD)
    with serving(create_app(settings, store=store, sync=False)) as first:
        manager = Manager(httpx.Client(base_url=first.url, timeout=10))
        assert manager.login(PASSWORD).status_code == 303
        cookie = manager.http.cookies["bilten_manager"]
    with (
        serving(create_app(settings, store=store, sync=False)) as second,
        httpx.Client(base_url=second.url, cookies={"bilten_manager": cookie}) as http,
    ):
        assert http.get("/dashboard/api/overview").status_code == 200


# -- setting the password ----------------------------------------------------------------------


def test_the_command_sets_a_password_read_from_stdin_and_stores_only_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))

    code = main(["venue", "manager-password", "--password-stdin", "--data", str(tmp_path)])

    assert code == 0
    assert "Manager password set" in capsys.readouterr().out
    store = VenueStore(tmp_path / "venue.sqlite3")
    try:
        stored = store.manager_password_hash()
    finally:
        store.close()
    assert stored is not None
    assert PASSWORD not in stored
    assert stored.startswith("scrypt$")
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "!", stored)


def test_the_command_refuses_a_short_password_and_sets_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))

    code = main(["venue", "manager-password", "--password-stdin", "--data", str(tmp_path)])

    assert code == 1
    assert "at least 10 characters" in capsys.readouterr().err
    store = VenueStore(tmp_path / "venue.sqlite3")
    try:
        assert store.manager_password_hash() is None
    finally:
        store.close()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_typed_passwords_must_match_and_piped_input_needs_the_flag() -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    with pytest.raises(PasswordMismatch):
        read_new_password(False, Terminal(), ask=lambda _: next(answers))
    same = iter([PASSWORD, PASSWORD])
    assert read_new_password(False, Terminal(), ask=lambda _: next(same)) == PASSWORD
    with pytest.raises(WeakPassword):
        read_new_password(False, Terminal(), ask=lambda _: "123")
    with pytest.raises(Exception, match="--password-stdin"):
        read_new_password(False, io.StringIO(PASSWORD))


def test_hostile_tokens_are_refused_plainly(dashboard: Dashboard, manager: Manager) -> None:
    odd_header = manager.http.post(
        "/dashboard/api/pairing-codes",
        json={"gate": "North"},
        headers={"X-CSRF-Token": "jämför".encode("latin-1")},
    )
    with httpx.Client(base_url=dashboard.url, cookies={"bilten_login": "abc"}) as http:
        odd_form = http.post("/dashboard/login", data={"password": PASSWORD, "login_token": "äbc"})

    assert (odd_header.status_code, odd_form.status_code) == (403, 403)
