from __future__ import annotations

import pytest


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """Pictures are files; which database keeps their names does not matter here."""
    return sqlite_database_url
