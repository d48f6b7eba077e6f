"""The on-sale benchmark's quick mode, run as anyone runs it: it must keep working, and the
sale it drives must sell out exactly, oversell nothing and fail no buyer. Its speed is the
benchmark's own business (printed next to its baseline), never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_HOST, PG_PORT
from tests.support import need, port_open

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]


def test_the_quick_on_sale_sells_out_exactly_and_fails_no_buyer() -> None:
    need(port_open(PG_HOST, PG_PORT), f"PostgreSQL at {PG_HOST}:{PG_PORT}")
    run = subprocess.run(
        [sys.executable, "benchmarks/onsale.py", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])

    assert (figures["sold"], figures["live_tickets_in_db"]) == (50, 50)
    assert figures["oversold"] == 0
    assert figures["errors"] == 0
    assert figures["orders"] + figures["refused_sold_out"] == figures["buyers"] == 100
