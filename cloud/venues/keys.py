"""Venue API keys: shown once at registration, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.venues.models import Venue

_PREFIX = "bvk_"


def new_api_key() -> str:
    return _PREFIX + secrets.token_urlsafe(32)


def digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def find_venue_by_key(session: Session, api_key: str) -> Venue | None:
    if not api_key.startswith(_PREFIX) or len(api_key) > 100:
        return None
    return session.scalar(select(Venue).where(Venue.api_key_hash == digest(api_key)))
