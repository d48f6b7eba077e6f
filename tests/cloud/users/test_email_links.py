"""Email verification and password reset: the link arrives through the outbox, works once,
and a reset logs the account out everywhere."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.db import make_engine, make_session_factory
from cloud.ratelimit import Rule
from cloud.settings import CloudSettings
from cloud.users.sessions import session_user, start_session
from tests.cloud.locks import eventually, postgres_table_locked
from tests.cloud.users.support import emails, link_token
from tests.cloud_harness import Cloud


def _signup(client: TestClient[Any], email: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/auth/signup",
        json={"email": email, "password": "first password", "name": "Ida", "organisation": "Ida"},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _me(client: TestClient[Any], tokens: dict[str, Any]) -> dict[str, Any]:
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    body: dict[str, Any] = r.json()
    return body


def test_the_verification_link_confirms_the_address_once(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    tokens = _signup(client, "ida@example.org")
    [mail] = emails(settings, "ida@example.org", "verify_email")
    assert mail["name"] == "Ida"
    assert mail["verify_url"].startswith(f"{settings.public_url}/account/verify?token=")
    token = link_token(mail["verify_url"])

    r = client.post("/api/v1/auth/verify", json={"token": token})

    assert r.status_code == 200, r.text
    assert r.json()["email_verified"] is True
    assert _me(client, tokens)["email_verified"] is True
    again = client.post("/api/v1/auth/verify", json={"token": token})
    assert again.status_code == 400
    assert "invalid, expired or already used" in again.json()["detail"]
    assert client.post("/api/v1/auth/verify", json={"token": "made-up"}).status_code == 400


def test_a_lost_verification_email_can_be_sent_again_a_few_times_and_the_new_link_works(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    tokens = _signup(client, "ida@example.org")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}

    answers = [client.post("/api/v1/auth/me/verify", headers=auth) for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert "confirmation emails" in answers[-1].json()["detail"]
    mails = emails(settings, "ida@example.org", "verify_email")
    assert len(mails) == 4  # the sign-up's and three more
    r = client.post("/api/v1/auth/verify", json={"token": link_token(mails[-1]["verify_url"])})
    assert r.status_code == 200 and r.json()["email_verified"] is True
    assert client.post("/api/v1/auth/me/verify").status_code == 401


def test_a_confirmed_address_gets_no_more_links(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    tokens = _signup(client, "ida@example.org")
    [mail] = emails(settings, "ida@example.org", "verify_email")
    client.post("/api/v1/auth/verify", json={"token": link_token(mail["verify_url"])})

    r = client.post(
        "/api/v1/auth/me/verify", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert r.status_code == 202
    assert len(emails(settings, "ida@example.org", "verify_email")) == 1


def test_a_password_reset_sets_the_new_password_and_logs_out_everywhere(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    tokens = _signup(client, "ida@example.org")
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        cookie = start_session(session, tokens["user_id"], now=1_000, ttl_s=10**12)

    asked = client.post("/api/v1/auth/password-reset", json={"email": " IDA@example.org"})
    assert asked.status_code == 202
    [mail] = emails(settings, "ida@example.org", "password_reset")
    assert mail["reset_url"].startswith(f"{settings.public_url}/account/reset?token=")
    token = link_token(mail["reset_url"])
    short = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert short.status_code == 400

    done = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "second password"}
    )

    assert done.status_code == 204, done.text
    login = {"email": "ida@example.org", "password": "first password"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 401
    login["password"] = "second password"
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    with sessions() as session:
        assert session_user(session, cookie, now=2_000) is None
    engine.dispose()
    reused = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "third password"}
    )
    assert reused.status_code == 400
    # The link came by email, so the address is confirmed too.
    assert _me(client, client.post("/api/v1/auth/login", json=login).json())["email_verified"]


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    r = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.org"})

    assert r.status_code == 202
    assert emails(settings, "nobody@example.org", "password_reset") == []


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_reset_is_answered_before_the_account_is_looked_up(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    _signup(client, "ida@example.org")
    cloud = Cloud(settings)
    cloud.start()
    try:
        # Another transaction holds the accounts: the reset link has to wait for it, the
        # answer does not (it only writes the ask, the same whoever asks), so its timing
        # tells nobody whether the account exists.
        with postgres_table_locked(settings.database_url, "users"):
            answer = httpx.post(
                f"{cloud.url}/api/v1/auth/password-reset",
                json={"email": "ida@example.org"},
                timeout=5,
            )
            assert answer.status_code == 202, answer.text
        assert eventually(lambda: len(emails(settings, "ida@example.org", "password_reset")) == 1)
    finally:
        cloud.stop()


def test_reset_emails_to_one_address_are_rate_limited(settings: CloudSettings) -> None:
    limited = replace(
        settings,
        rate_limits={"password_reset.account": Rule(2, 3600, "Too many password reset emails")},
    )
    with TestClient(create_app(limited)) as client:
        _signup(client, "ida@example.org")
        answers = [
            client.post("/api/v1/auth/password-reset", json={"email": "ida@example.org"})
            for _ in range(3)
        ]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert "Too many password reset emails" in answers[2].json()["detail"]
    assert len(emails(settings, "ida@example.org", "password_reset")) == 2
