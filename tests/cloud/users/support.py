"""Reading what the cloud emailed an account: the outbox row, and the token in its link."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import waiting
from cloud.settings import CloudSettings


def emails(settings: CloudSettings, to: str, template: str) -> list[dict[str, Any]]:
    """The contexts of the queued emails of ``template`` to ``to``, oldest first."""
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return [
                dict(m.context)
                for m in waiting(session)
                if m.recipient == to and m.template == template
            ]
    finally:
        engine.dispose()


def link_token(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token
