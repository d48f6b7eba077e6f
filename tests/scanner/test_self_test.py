"""``bilten scanner self-test``: the check a gate laptop (or the desktop bundle) runs to see
that its installation works, here on the installation the tests run on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui


def _self_test(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "scanner", "self-test", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_self_test_scans_the_bundled_ticket_to_an_admission_in_the_real_window() -> None:
    ran = _self_test("--offscreen")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    report = json.loads(ran.stdout)
    assert report["ok"] is True
    assert report["qt_platform"] == "offscreen"
    assert report["decoders"] == {"zxing-cpp": True, "zbar": True}
    assert report["verdict"] == "admitted"
    assert report["language"] == "de"


def test_without_a_display_it_asks_for_offscreen_instead_of_crashing() -> None:
    ran = _self_test(DISPLAY="", WAYLAND_DISPLAY="", QT_QPA_PLATFORM="")

    assert ran.returncode == 2
    assert "add --offscreen" in ran.stderr
