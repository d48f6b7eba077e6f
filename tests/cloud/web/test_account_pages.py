"""Sign-up, login, logout, email confirmation and password reset through the pages."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import waiting
from cloud.ratelimit import Rule
from cloud.settings import CloudSettings
from tests.cloud.web.conftest import Visitor


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: these pages read what the services return; the checkout pages' tests
    cover PostgreSQL."""
    return sqlite_database_url


def _link(settings: CloudSettings, template: str, key: str, to: str) -> str:
    """The path of the newest link of this kind emailed to ``to``."""
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            sent = [m for m in waiting(session) if m.template == template and m.recipient == to]
    finally:
        engine.dispose()
    assert sent, f"no {template} email to {to}"
    parts = urlsplit(sent[-1].context[key])
    return f"{parts.path}?{parts.query}"


def test_sign_up_log_out_and_log_in_again(visitor: Visitor) -> None:
    email = visitor.sign_up(password="correct horse")
    account = visitor.get("/account")
    assert account.status_code == 200
    assert "My tickets" in account.text and "Log out" in account.text
    assert "Please confirm your email address" in account.text

    out = visitor.submit("/account", "/account/logout", {})
    assert out.status_code == 303
    gone = visitor.get("/account")
    assert gone.status_code == 303
    assert gone.headers["location"] == "/account/login?next=/account"

    wrong = visitor.submit(
        "/account/login", "/account/login", {"email": email, "password": "wrong horse"}
    )
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.text
    assert f'value="{email}"' in wrong.text

    back = visitor.submit(
        "/account/login",
        "/account/login",
        {"email": email.upper(), "password": "correct horse", "next": "/events"},
    )
    assert back.status_code == 303
    assert back.headers["location"] == "/events"
    cookie = back.headers["set-cookie"]
    assert "bilten_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=1209600" in cookie


def test_the_session_cookie_is_secure_unless_turned_off(settings: CloudSettings) -> None:
    secure = dataclasses.replace(settings, cookie_secure=True)
    with TestClient(create_app(secure), base_url="https://testserver.local") as client:
        page = client.get("/account/signup")
        visitor = Visitor(client)
        answer = client.post(
            "/account/signup",
            data={
                "name": "Ada",
                "email": "secure@example.org",
                "password": "correct horse",
                "_csrf_token": visitor.csrf(page),
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert "Secure" in answer.headers["set-cookie"]


def test_login_never_redirects_to_another_site(visitor: Visitor) -> None:
    email = visitor.sign_up()
    visitor.submit("/account", "/account/logout", {})
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"):
        answer = visitor.submit(
            "/account/login",
            "/account/login",
            {"email": email, "password": "correct horse", "next": target},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/account"
        visitor.submit("/account", "/account/logout", {})


def test_sign_up_refuses_bad_input_and_a_taken_email(visitor: Visitor) -> None:
    short = visitor.submit(
        "/account/signup",
        "/account/signup",
        {"name": "Ada", "email": "ada@example", "password": "short"},
    )
    assert short.status_code == 400
    assert "Choose a password of 8 to 200 characters" in short.text
    assert "Enter your email address" in short.text
    email = visitor.sign_up()
    visitor.submit("/account", "/account/logout", {})
    taken = visitor.submit(
        "/account/signup",
        "/account/signup",
        {"name": "Ada", "email": email, "password": "correct horse"},
    )
    assert taken.status_code == 400
    assert "already exists" in taken.text


def test_an_organizer_sees_the_organizer_link(visitor: Visitor) -> None:
    visitor.sign_up()
    assert 'href="/organizer"' not in visitor.get("/events").text
    visitor.submit("/account", "/account/logout", {})
    answer = visitor.submit(
        "/account/signup",
        "/account/signup",
        {
            "name": "Grace",
            "email": "grace@example.org",
            "password": "correct horse",
            "organisation": "Hopper Hall",
        },
    )
    assert answer.status_code == 303, answer.text
    assert 'href="/organizer"' in visitor.get("/events").text


def test_the_emailed_link_confirms_the_address(visitor: Visitor, settings: CloudSettings) -> None:
    email = visitor.sign_up()
    link = _link(settings, "verify_email", "verify_url", email)
    confirmed = visitor.get(link)
    assert confirmed.status_code == 303
    assert visitor.get("/account?notice=verified").text.count("confirm your email") == 0
    again = visitor.get(link)
    assert again.status_code == 400
    assert "invalid, expired or already used" in again.text


def test_a_visitor_who_lost_the_link_asks_for_another_from_the_account_page(
    visitor: Visitor, settings: CloudSettings
) -> None:
    email = visitor.sign_up()
    first = _link(settings, "verify_email", "verify_url", email)
    page = visitor.get("/account")
    assert "Send the link again" in page.text

    sent = visitor.submit("/account", "/account/verify/resend", {})

    assert (sent.status_code, sent.headers["location"]) == (303, "/account?notice=link-sent")
    assert "We sent a new link" in visitor.get("/account?notice=link-sent").text
    second = _link(settings, "verify_email", "verify_url", email)
    assert second != first
    assert visitor.get(second).status_code == 303
    assert "Send the link again" not in visitor.get("/account").text


def test_a_forgotten_password_is_reset_through_the_emailed_link(
    visitor: Visitor, settings: CloudSettings
) -> None:
    email = visitor.sign_up(password="old password")
    visitor.submit("/account", "/account/logout", {})
    sent = visitor.submit("/account/forgot", "/account/forgot", {"email": email})
    assert sent.status_code == 200
    assert "we sent it a link" in sent.text
    unknown = visitor.submit("/account/forgot", "/account/forgot", {"email": "nobody@example.org"})
    assert "we sent it a link" in unknown.text  # the answer tells nobody who has an account

    link = _link(settings, "password_reset", "reset_url", email)
    token = link.split("token=")[1]
    differ = visitor.submit(
        link,
        "/account/reset",
        {"token": token, "password": "new password", "password_again": "other password"},
    )
    assert differ.status_code == 400
    done = visitor.submit(
        link,
        "/account/reset",
        {"token": token, "password": "new password", "password_again": "new password"},
    )
    assert done.status_code == 303
    old = visitor.submit(
        "/account/login", "/account/login", {"email": email, "password": "old password"}
    )
    assert old.status_code == 401
    new = visitor.submit(
        "/account/login", "/account/login", {"email": email, "password": "new password"}
    )
    assert new.status_code == 303


def test_login_attempts_are_rate_limited(settings: CloudSettings) -> None:
    strict = dataclasses.replace(
        settings, rate_limits={"login.account": Rule(2, 3600, "Too many login attempts")}
    )
    with TestClient(create_app(strict)) as client:
        visitor = Visitor(client)
        answers: list[Any] = [
            visitor.submit(
                "/account/login",
                "/account/login",
                {"email": "ada@example.org", "password": "guess"},
            )
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [401, 401, 429]
        assert "Too many login attempts" in answers[2].text
        assert answers[2].headers["retry-after"]
