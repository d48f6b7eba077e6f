"""The admin pages as a browser without JavaScript uses them: only platform admins reach any
of them (a visitor is sent to log in, anyone else finds no page), every form changes what it
says and is in the audit log, bad input changes nothing."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from litestar.testing import TestClient

from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import enqueue_email, mark_dead, waiting
from cloud.settings import CloudSettings
from tests.cloud.admin.support import ADMIN_EMAIL, ADMIN_PASSWORD, create_admin
from tests.cloud.conftest import Api, Setup
from tests.cloud.web.conftest import Visitor

PAGES = [
    "/admin",
    "/admin/users",
    "/admin/orgs",
    "/admin/events",
    "/admin/events/1",
    "/admin/outbox",
    "/admin/audit",
    "/admin/audit/verify",
]
ACTIONS = [
    "/admin/users/1/suspend",
    "/admin/users/1/unsuspend",
    "/admin/orgs/1/approve",
    "/admin/orgs/1/suspend",
    "/admin/events/1/hide",
    "/admin/events/1/restore",
    "/admin/outbox/00000000-0000-4000-8000-000000000000/retry",
]


def log_in(visitor: Visitor, email: str, password: str) -> None:
    answer = visitor.submit(
        "/account/login", "/account/login", {"email": email, "password": password}
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture
def admin(visitor: Visitor, settings: CloudSettings) -> Visitor:
    create_admin(settings)
    log_in(visitor, ADMIN_EMAIL, ADMIN_PASSWORD)
    return visitor


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_nobody_but_a_platform_admin_reaches_an_admin_page_or_form(
    shop: Setup, api: Api, visitor: Visitor, other_visitor: Visitor, settings: CloudSettings
) -> None:
    for path in PAGES:
        answer = visitor.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/account/login?next=/admin"), path
    # The organizer of the shop's event, with an owner's role in its organisation.
    email = api.client.get("/api/v1/auth/me", headers=shop.organizer.headers).json()["email"]
    log_in(other_visitor, email, "correct horse")
    for path in PAGES:
        assert other_visitor.get(path).status_code == 404, path
    token = other_visitor.csrf(other_visitor.get("/account"))
    for path in ACTIONS:
        answer = other_visitor.client.post(
            path, data={"_csrf_token": token, "reason": "spam"}, follow_redirects=False
        )
        assert answer.status_code == 404, path
    assert "/admin" not in other_visitor.get("/account").text
    # Nothing changed: the event is on sale, nobody is suspended.
    assert api.client.get(f"/api/v1/shop/events/{shop.event_id}").status_code == 200
    assert api.client.get("/api/v1/auth/me", headers=shop.organizer.headers).status_code == 200


def test_the_overview_plots_sales_and_lists_venue_servers(
    shop: Setup, admin: Visitor, api: Api
) -> None:
    api.client.get("/api/v1/venue/manifest", headers=shop.venue_headers)

    page = admin.get("/admin?days=7")

    assert page.status_code == 200
    assert page.text.count('<svg class="chart') == 1  # tickets; no revenue without sales
    assert "Tickets sold per day, last 7 days" in page.text
    seen = text_of(page.text[page.text.index('id="venues"') :])
    assert "Main Hall" in seen and "Online" in seen
    assert 'href="/admin"' in page.text and 'aria-current="page"' in page.text


def test_an_admin_suspends_and_restores_an_account_from_the_list(
    shop: Setup, admin: Visitor, api: Api
) -> None:
    organizer = api.client.get("/api/v1/auth/me", headers=shop.organizer.headers).json()

    found = admin.get(f"/admin/users?q={organizer['email']}")
    suspended = admin.submit(
        "/admin/users",
        f"/admin/users/{organizer['user_id']}/suspend",
        {"back": f"/admin/users?q={organizer['email']}"},
    )

    table = text_of(found.text[found.text.index('id="users"') :])
    assert organizer["email"] in table and ADMIN_EMAIL not in table
    assert suspended.status_code == 303
    location = suspended.headers["location"]
    assert location.startswith("/admin/users?q=") and location.endswith("&done=suspended")
    assert api.client.get("/api/v1/auth/me", headers=shop.organizer.headers).status_code == 401
    listed = admin.get(suspended.headers["location"])
    assert "Account suspended" in listed.text and "Suspended" in text_of(listed.text)
    restored = admin.submit("/admin/users", f"/admin/users/{organizer['user_id']}/unsuspend", {})
    assert restored.status_code == 303
    log = text_of(admin.get("/admin/audit?action=user").text)
    assert f"{organizer['email']} restored" in log and f"{organizer['email']} suspended" in log


def test_a_form_that_names_another_site_comes_back_to_the_admin_pages(
    shop: Setup, admin: Visitor, api: Api
) -> None:
    organizer = api.client.get("/api/v1/auth/me", headers=shop.organizer.headers).json()

    answer = admin.submit(
        "/admin/users",
        f"/admin/users/{organizer['user_id']}/suspend",
        {"back": "https://evil.example/admin"},
    )

    assert answer.headers["location"] == "/admin/users?done=suspended"


def test_hiding_an_event_needs_a_reason_and_tells_the_organizer(
    shop: Setup, admin: Visitor, api: Api, settings: CloudSettings
) -> None:
    page = f"/admin/events/{shop.event_id}"

    blank = admin.submit(page, f"{page}/hide", {"reason": "  "})
    hidden = admin.submit(page, f"{page}/hide", {"reason": "Copied <b>listing</b>"})
    shown = admin.get(hidden.headers["location"])

    assert blank.status_code == 400 and "Nothing was changed" in blank.text
    assert hidden.status_code == 303
    assert "Copied &lt;b&gt;listing&lt;/b&gt;" in shown.text and "Restore the event" in shown.text
    assert api.client.get(f"/api/v1/shop/events/{shop.event_id}").status_code == 404
    organizer_view = api.client.get(
        f"/api/v1/events/{shop.event_id}", headers=shop.organizer.headers
    )
    assert organizer_view.json()["hidden_reason"] == "Copied <b>listing</b>"
    listed = text_of(admin.get("/admin/events?state=hidden").text)
    assert "Concert" in listed and "Hidden" in listed


def test_a_dead_message_is_retried_from_the_dead_letters(
    admin: Visitor, settings: CloudSettings
) -> None:
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        enqueue_email(
            session,
            to="gone@example.org",
            template="verify_email",
            context={"name": "Ada", "verify_url": "https://shop.example/v"},
        )
        session.commit()
        [message] = [m for m in waiting(session) if m.recipient == "gone@example.org"]
        mark_dead(session, message.id, error="550 5.1.1 No such user here")

    dead = admin.get("/admin/outbox")
    retried = admin.submit("/admin/outbox", f"/admin/outbox/{message.id}/retry", {})
    again = admin.submit("/admin/outbox", f"/admin/outbox/{message.id}/retry", {})

    assert "550 5.1.1 No such user here" in dead.text
    assert retried.status_code == 303 and "done=retried" in retried.headers["location"]
    assert again.status_code == 409
    with sessions() as session:
        assert [m.id for m in waiting(session) if m.recipient == "gone@example.org"] == [message.id]
    engine.dispose()
    assert "No dead messages." in admin.get("/admin/outbox").text


def test_the_audit_log_filters_pages_and_refuses_bad_filters(
    admin: Visitor, client: TestClient[Any]
) -> None:
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"email": "x@example.org", "password": "wrong!!!"})

    failed = admin.get("/admin/audit?action=login.failed")
    everything = admin.get("/admin/audit")
    bad = admin.get("/admin/audit?since=yesterday&action=drop.tables")
    chain = admin.get("/admin/audit/verify")

    assert "3 entries match" in text_of(failed.text)
    assert text_of(failed.text).count("failed login as x@example.org") == 3
    assert "login.succeeded" in everything.text  # the admin's own login
    assert bad.status_code == 400
    assert "From must be a date" in bad.text and "choose an action" in bad.text
    assert "entries are intact" in chain.text


def test_admins_read_an_events_times_in_its_venues_time(
    shop: Setup, admin: Visitor, api: Api
) -> None:
    moved = api.client.patch(
        f"/api/v1/venues/{shop.venue_id}",
        json={"timezone": "Asia/Tokyo"},
        headers=shop.organizer.headers,
    )
    assert moved.status_code == 200, moved.text
    tokyo = "Sun 2 Jun 2030, 04:00 JST"  # 19:00 UTC on the 1st
    assert tokyo in admin.get(f"/admin/events/{shop.event_id}").text
    assert tokyo in admin.get("/admin/events").text
    assert tokyo in admin.get("/admin").text
