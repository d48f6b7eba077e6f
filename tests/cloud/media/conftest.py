from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Pictures are files; which database keeps their names does not matter here."""
    return f"sqlite:///{tmp_path / 'cloud.db'}"
