"""The documentation's screenshots can be made again, by the command the docs name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from scanner_app.ui.screenshots import SIZE, screenshot_names
from tests.scanner.ui.conftest import AMBER, GREEN, RED

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]
# Verdict pictures fill the window with the verdict's colour; a corner shows it.
VERDICT_COLOURS = {
    "admitted": GREEN,
    "rejected": RED,
    "already-admitted": AMBER,
    "manual-admission": GREEN,
    "exit": GREEN,
}


def grey_levels(image: QImage) -> np.ndarray:
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(grey.constBits(), np.uint8).reshape(grey.height(), grey.bytesPerLine())
    return rows[:, : grey.width()]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_screenshot_command_saves_every_state_of_the_window(
    tmp_path: Path, language: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scanner_app.ui.screenshots", str(tmp_path), "--language", language],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    for name in screenshot_names(language):
        path = tmp_path / name
        assert path.exists(), f"{name} was not written"
        assert str(path) in done.stdout  # each file written is named on stdout
        image = QImage(str(path))
        assert (image.width(), image.height()) == SIZE, name
        assert grey_levels(image).std() > 10, f"{name} is blank"
        state = name.removeprefix("scanner-").removesuffix(".png").removesuffix(f"-{language}")
        if state in VERDICT_COLOURS:
            assert image.pixelColor(4, 4) == VERDICT_COLOURS[state], name
        else:  # the home page: scanning, searching, offline
            assert image.pixelColor(4, 4) not in (GREEN, RED, AMBER), name
