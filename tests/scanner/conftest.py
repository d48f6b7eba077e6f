from __future__ import annotations

import os

# Before anything creates the QApplication: the real window, without a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scanner.gate import Gate, TicketMaker


@pytest.fixture
def maker() -> TicketMaker:
    return TicketMaker(event_id=7, key_id=70)


@pytest.fixture
def gate(tmp_path: Path, maker: TicketMaker) -> Iterator[Gate]:
    gate = Gate.paired(tmp_path / "scanner", maker)
    yield gate
    gate.store.close()


# A real venue server and paired scanners, for the tests that sync (tests/scanner/venue_harness).
from tests.scanner.venue_harness import scanner, venue, venue_store  # noqa: E402, F401
