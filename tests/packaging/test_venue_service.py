"""The venue server as a systemd service: the install script an operator runs on the venue's
mini-PC, and the unit systemd loads from what it installed.

The install is real (a virtualenv with ``bilten[venue]`` built from a copy of this source
tree), into a temporary root instead of ``/``. systemd checks the unit against that root, so
the program named by ExecStart must really be there.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import need

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging" / "venue"
INSTALL = PACKAGING / "install.sh"
VENV = "opt/bilten/venue"
UNIT = "etc/systemd/system/bilten-venue.service"
CONFIG = "etc/bilten/venue.toml"
SYSUSERS = "etc/sysusers.d/bilten-venue.conf"
STATE = "var/lib/bilten-venue"
SYSTEM_UNITS = (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
SOURCE_PARTS = ("pyproject.toml", "README.md", "shared", "cloud", "venue_server", "scanner_app")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    root: Path
    output: str
    config_text: str  # the settings file as the first install left it


def run_install(root: Path, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), "--root", str(root), "--from", str(source), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def copy_source(dest: Path) -> Path:
    """The source tree as a release would ship it; building it writes only into the copy."""
    for part in SOURCE_PARTS:
        origin = REPO / part
        if origin.is_dir():
            shutil.copytree(origin, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, dest / part)
    return dest


def tree(root: Path) -> dict[str, int]:
    """Every path the install made outside its virtualenv, with its permission bits."""
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode)
        for path in sorted(root.rglob("*"))
        if not str(path.relative_to(root)).startswith(VENV + "/")
        and not str(path.relative_to(root)).startswith("usr/")
    }


def bilten(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``bilten`` (its scripts name /opt/bilten/venue, so call its python)."""
    return subprocess.run(
        [str(root / VENV / "bin" / "python"), "-m", "shared.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_source(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Installed:
    root = tmp_path_factory.mktemp("target")
    done = run_install(root, source, "--python", sys.executable)
    assert done.returncode == 0, done.stderr
    return Installed(root, done.stdout, (root / CONFIG).read_text())


def test_install_lays_out_program_unit_settings_user_and_state(installed: Installed) -> None:
    root = installed.root

    assert (root / UNIT).read_bytes() == (PACKAGING / "bilten-venue.service").read_bytes()
    assert installed.config_text == (PACKAGING / "venue.toml.example").read_text()
    assert (root / SYSUSERS).read_bytes() == (PACKAGING / "bilten-venue.sysusers").read_bytes()
    assert stat.S_IMODE((root / STATE).stat().st_mode) == 0o700
    program = root / VENV / "bin" / "bilten"
    assert program.stat().st_mode & stat.S_IXUSR
    # The tree is meant to become a machine's root: its scripts name the final path.
    assert program.read_text().splitlines()[0] == "#!/opt/bilten/venue/bin/python"


def test_the_installed_program_reads_the_installed_settings(installed: Installed) -> None:
    shown = bilten(
        installed.root, "venue", "config", "--config", str(installed.root / CONFIG), "--json"
    )

    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)["settings"]
    assert (settings["data_dir"], settings["host"], settings["port"]) == (
        "/var/lib/bilten-venue",
        "0.0.0.0",
        8100,
    )


def test_the_venue_install_carries_no_gate_app(installed: Installed) -> None:
    """A venue mini-PC gets the venue stack only: no Qt, no camera libraries."""
    probe = subprocess.run(
        [str(installed.root / VENV / "bin" / "python"), "-c", "import PySide6"],
        capture_output=True,
        check=False,
    )

    assert probe.returncode != 0
    assert bilten(installed.root, "venue", "--help").returncode == 0


def test_install_tells_the_operator_what_to_do_next(installed: Installed) -> None:
    assert "systemctl enable --now bilten-venue" in installed.output
    assert re.search(r"bilten venue pair --config /etc/bilten/venue.toml --cloud", installed.output)
    assert "(new: check host and port)" in installed.output


def test_a_second_install_keeps_the_edited_settings_and_changes_nothing_else(
    installed: Installed, source: Path
) -> None:
    root = installed.root
    edited = installed.config_text.replace("port = 8100", "port = 8200")
    (root / CONFIG).write_text(edited)
    before = tree(root)

    again = run_install(root, source, "--python", sys.executable)

    assert again.returncode == 0, again.stderr
    assert (root / CONFIG).read_text() == edited
    assert tree(root) == before
    assert "(kept as it was)" in again.stdout
    shown = bilten(root, "venue", "config", "--config", str(root / CONFIG), "--json")
    assert json.loads(shown.stdout)["settings"]["port"] == 8200


def test_install_refuses_a_source_that_is_not_bilten(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()

    done = run_install(tmp_path / "target", tmp_path / "elsewhere")

    assert done.returncode == 1
    assert "neither a bilten wheel" in done.stderr
    assert not (tmp_path / "target" / "etc").exists()


# -- what systemd makes of it ---------------------------------------------------------------


def _systemd_tool(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} (Debian package systemd)")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def system_root(installed: Installed) -> Path:
    """The installed root plus this machine's own system units (sysinit.target, ...), which
    systemd needs to resolve the unit's dependencies."""
    units = next((d for d in SYSTEM_UNITS if (d / "sysinit.target").exists()), None)
    need(units is not None, "systemd's system units (sysinit.target)")
    assert units is not None
    target = installed.root / "usr" / "lib" / "systemd" / "system"
    if not target.exists():
        shutil.copytree(units, target, symlinks=True)
    return installed.root


def test_systemd_accepts_the_installed_unit_without_a_warning(system_root: Path) -> None:
    analyze = _systemd_tool("systemd-analyze")

    verified = subprocess.run(
        [analyze, "verify", f"--root={system_root}", "--man=no", "bilten-venue.service"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == ""


def test_systemd_rates_the_unit_hardened(system_root: Path) -> None:
    analyze = _systemd_tool("systemd-analyze")

    rated = subprocess.run(
        [analyze, "security", "--offline=yes", f"--root={system_root}", "bilten-venue.service"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    found = re.search(r"Overall exposure level for bilten-venue\.service: ([\d.]+)", rated.stdout)
    assert found, rated.stdout + rated.stderr
    # systemd rates 0 (locked down) to 10 (unprotected); a plain root service scores 9.6.
    assert float(found.group(1)) <= 2.0, rated.stdout


def test_the_unit_runs_as_the_user_the_install_creates_on_the_state_the_settings_name(
    installed: Installed,
) -> None:
    sysusers = _systemd_tool("systemd-sysusers")
    root = installed.root

    created = subprocess.run(
        [sysusers, f"--root={root}", "--dry-run", str(root / SYSUSERS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert created.returncode == 0, created.stderr
    unit = (root / UNIT).read_text()
    user = re.search(r"^User=(\S+)$", unit, re.MULTILINE)
    state = re.search(r"^StateDirectory=(\S+)$", unit, re.MULTILINE)
    assert user and state
    assert f"Creating user '{user.group(1)}'" in created.stdout + created.stderr
    settings = tomllib.loads(installed.config_text)
    assert settings["data_dir"] == f"/var/lib/{state.group(1)}"
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert exec_start and exec_start.group(1) == (
        "/opt/bilten/venue/bin/bilten venue serve --config /etc/bilten/venue.toml"
    )
