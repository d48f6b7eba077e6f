"""The gate app as a desktop bundle: packaging/scanner/build.sh builds it with PyInstaller
(once per test run, into a temporary folder), and the bundled program runs on its own, with
no virtualenv, no source tree and no Python of ours on its path: its self-test opens the gate
window offscreen, reads the bundled ticket with each decoder and scans it to an admission.
The build's own duration is printed (pytest -s shows it); it takes about a minute here."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import need

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "packaging" / "scanner" / "build.sh"

pytestmark = [pytest.mark.slow, pytest.mark.gui]


@dataclass(frozen=True)
class Bundle:
    folder: Path
    output: str
    seconds: float

    @property
    def program(self) -> Path:
        return self.folder / "bilten-gate"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    need(
        subprocess.run([sys.executable, "-c", "import PyInstaller"], check=False).returncode == 0,
        "PyInstaller (pip install pyinstaller; in the dev extra)",
    )
    out = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    command = ["bash", str(BUILD), "--dist", str(out / "dist"), "--work", str(out / "work")]
    built = subprocess.run(
        [*command, "--python", sys.executable, "--no-archive"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    seconds = time.monotonic() - started
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(f"\nthe gate app bundle was built and checked in {seconds:.0f} s")
    return Bundle(out / "dist" / "bilten-gate", built.stdout, seconds)


def _alone(bundle: Bundle, *args: str) -> subprocess.CompletedProcess[str]:
    """The bundled program as a user starts it: from their home, with a plain environment."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(bundle.folder.parent),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [str(bundle.program), *args],
        cwd=bundle.folder.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_build_script_checks_what_it_built(bundle: Bundle) -> None:
    assert "Self-test of the bundle (offscreen):" in bundle.output
    assert '"ok": true' in bundle.output


def test_the_bundled_gate_app_opens_its_window_and_admits_the_bundled_ticket(
    bundle: Bundle,
) -> None:
    ran = _alone(bundle, "self-test", "--offscreen")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    report = json.loads(ran.stdout.strip().splitlines()[-1])
    assert report == {
        "ok": True,
        "qt_platform": "offscreen",
        "language": "de",
        "decoders": {"zxing-cpp": True, "zbar": True},
        "verdict": "admitted",
        "seconds": report["seconds"],
        "problems": [],
    }


def test_the_bundle_decodes_images_with_its_own_libraries(bundle: Bundle) -> None:
    ticket = REPO / "scanner_app" / "assets" / "selftest-ticket.png"

    ran = _alone(bundle, "decode", str(ticket))

    assert ran.returncode == 0, ran.stderr
    [result] = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(result["codes"]) == 1
    # zbar travels inside the bundle, with the hook that makes pyzbar load that copy.
    assert (bundle.folder / "_internal" / "libzbar.so.0").exists()


def test_the_bundle_carries_the_gate_app_and_not_the_servers(bundle: Bundle) -> None:
    internal = bundle.folder / "_internal"
    present = {path.name for path in internal.iterdir()}

    assert {"PySide6", "cv2", "zxingcpp", "cryptography"} <= present
    assert not present & {"litestar", "sqlalchemy", "uvicorn", "psycopg", "redis", "stripe"}


def test_the_bundled_gate_keeps_its_data_in_the_users_folder(bundle: Bundle) -> None:
    """Not in whatever folder it was started from (a desktop shortcut's, say)."""
    ran = _alone(
        bundle, "pair", "--venue", "http://127.0.0.1:9", "--code", "K7PM-3QXA", "--name", "Gate"
    )

    assert ran.returncode == 1, ran.stdout + ran.stderr  # nobody answers on port 9
    assert "pairing failed" in ran.stderr
    home = bundle.folder.parent
    assert (home / ".local" / "share" / "bilten" / "scanner" / "scanner.sqlite3").exists()
    assert not (home / "bilten-data").exists()


def test_the_windows_build_script_builds_the_same_spec() -> None:
    """Windows is not built here; its script must at least run the same spec and check."""
    script = (REPO / "packaging" / "scanner" / "build.ps1").read_text()

    assert "bilten-gate.spec" in script
    assert "self-test --offscreen" in script
    assert (REPO / "packaging" / "scanner" / "bilten-gate.spec").exists()
