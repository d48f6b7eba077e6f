"""Web sessions: the cookie value finds its user until it expires, is ended, or the account is
suspended; the database never holds the value itself."""

from __future__ import annotations

from sqlalchemy import select

from cloud.db import make_engine, make_session_factory
from cloud.settings import CloudSettings
from cloud.users.models import WebSession
from cloud.users.service import sign_up
from cloud.users.sessions import end_all_sessions, end_session, session_user, start_session


def test_a_session_lives_until_it_expires_or_ends(settings: CloudSettings) -> None:
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as db:
        user = sign_up(
            db, "sam@example.org", "long enough", "Sam", public_url="http://x.test", now=100
        )
        morning = start_session(db, user.id, now=1_000, ttl_s=3_600)
        evening = start_session(db, user.id, now=1_000, ttl_s=3_600)
        other = start_session(db, user.id, now=1_000, ttl_s=3_600)

        found = session_user(db, morning, now=1_001)
        assert found is not None and found.email == "sam@example.org"
        assert session_user(db, morning, now=4_600) is None  # expired
        assert session_user(db, "made-up", now=1_001) is None
        assert morning not in set(db.scalars(select(WebSession.token_hash)))

        end_session(db, morning)
        assert session_user(db, morning, now=1_001) is None
        assert session_user(db, evening, now=1_001) is not None

        user.suspended_at = 1_002
        db.commit()
        assert session_user(db, evening, now=1_003) is None
        user.suspended_at = None
        db.commit()

        end_all_sessions(db, user.id)
        assert session_user(db, evening, now=1_003) is None
        assert session_user(db, other, now=1_003) is None
    engine.dispose()
