"""Schemathesis against the running cloud's OpenAPI document, as a signed-in organizer (owner
of one organisation, with a venue, an event, a ticket type and an order), with the venue's
API key on the venue endpoints and a platform admin's token on the admin ones: no 5xx, and
every documented answer matches its schema. ``BILTEN_LONG=1`` for the long run."""

from __future__ import annotations

import dataclasses
import secrets

import pytest

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.ratelimit import DEFAULT_RULES
from cloud.settings import CloudSettings
from cloud.users.admins import make_admin
from tests.api_fuzz import fuzz
from tests.cloud_harness import Cloud, Organizer, migrated
from tests.support import LONG, figure


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzzed_cloud(request: pytest.FixtureRequest, tmp_path) -> Cloud:  # type: ignore[no-untyped-def]
    url = (
        f"sqlite:///{tmp_path / 'cloud.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    settings = migrated(
        CloudSettings(
            database_url=url,
            master_key=secrets.token_bytes(32),
            jwt_secret=secrets.token_urlsafe(48),
            data_dir=tmp_path / "cloud",
            # Thousands of generated requests from one address: the limits have their own tests.
            rate_limits={
                name: dataclasses.replace(rule, limit=1_000_000)
                for name, rule in DEFAULT_RULES.items()
            },
        )
    )
    running = Cloud(settings)
    running.start()
    request.addfinalizer(running.stop)
    return running


def test_the_cloud_api_never_fails_and_answers_as_documented(fuzzed_cloud: Cloud) -> None:
    organizer = Organizer(fuzzed_cloud)
    venue = organizer.venue()
    ticket = organizer.issue(venue)[0]
    admin_email = f"admin-{secrets.token_hex(3)}@example.org"
    engine = make_engine(fuzzed_cloud.settings.database_url)
    with make_session_factory(engine)() as session:
        make_admin(
            session, admin_email, name="Admin", password=lambda: "correct horse", now=now_s()
        )
        session.commit()
    engine.dispose()
    admin = organizer.http.post(
        "/api/v1/auth/login", json={"email": admin_email, "password": "correct horse"}
    ).json()["access_token"]
    organizer_headers = {"Authorization": organizer.http.headers["Authorization"]}

    def headers_for(path: str) -> dict[str, str]:
        if path.startswith("/api/v1/venue/"):
            return {"Authorization": f"Bearer {venue.api_key}"}
        if path.startswith("/api/v1/admin/"):
            return {"Authorization": f"Bearer {admin}"}
        return organizer_headers

    def path_values(path: str) -> dict[str, object]:
        del path
        return {
            "event_id": venue.event_id,
            "type_id": venue.type_id,
            "ticket_id": ticket["ticket_id"],
        }

    run = fuzz(fuzzed_cloud.url, headers_for, path_values)
    organizer.close()
    database = fuzzed_cloud.settings.database_url.split(":", 1)[0].split("+")[0]
    figure(
        f"cloud API fuzz ({database})",
        operations=run.operations,
        cases=run.cases,
        statuses=dict(sorted(run.statuses.items())),
        failures=len(run.failures),
        mode="long" if LONG else "quick",
    )
    assert not run.failures, "\n\n".join(run.failures)
