from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support import free_port


def bilten(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
    )


def test_the_command_module_imports_neither_qt_nor_opencv() -> None:
    code = (
        "import sys, scanner_app.cli, shared.cli; shared.cli.build_parser(); "
        "bad = [m for m in ('PySide6', 'cv2', 'pyzbar', 'numpy') if m in sys.modules]; "
        "print(bad)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


# Without a display the gate app cannot open the pairing window; it says how to pair instead.
NO_DISPLAY = {"QT_QPA_PLATFORM": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
needs_x11_style_display = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="Windows and macOS always have a display"
)


@needs_x11_style_display
def test_gui_on_an_unpaired_device_without_a_display_says_how_to_pair(tmp_path: Path) -> None:
    done = bilten("scanner", "--data", str(tmp_path / "data"), cwd=tmp_path, env=NO_DISPLAY)

    assert done.returncode == 2
    assert "no display" in done.stderr
    assert "not paired" in done.stderr
    assert "bilten scanner pair --qr" in done.stderr
    assert "bilten scanner pair --venue" in done.stderr
    assert "Traceback" not in done.stderr


@needs_x11_style_display
def test_default_data_dir_follows_bilten_data(tmp_path: Path) -> None:
    done = bilten(
        "scanner", cwd=tmp_path, env={"BILTEN_DATA": str(tmp_path / "root"), **NO_DISPLAY}
    )

    assert done.returncode == 2
    assert (tmp_path / "root" / "scanner" / "scanner.sqlite3").is_file()


def test_pairing_with_a_venue_that_is_down_is_a_clear_failure(tmp_path: Path) -> None:
    done = bilten(
        "scanner",
        "pair",
        "--venue",
        f"http://127.0.0.1:{free_port()}",
        "--code",
        "ABCD-2345",
        "--name",
        "North 1",
        "--data",
        str(tmp_path / "data"),
        cwd=tmp_path,
    )

    assert done.returncode == 1
    assert "unreachable" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "scanner.sqlite3").exists() or not _paired(tmp_path / "data")


def _paired(data: Path) -> bool:
    from scanner_app.store import Store

    store = Store(data / "scanner.sqlite3")
    try:
        return store.device() is not None
    finally:
        store.close()


def test_pair_needs_a_qr_payload_or_a_code(tmp_path: Path) -> None:
    done = bilten("scanner", "pair", "--name", "North 1", "--data", str(tmp_path), cwd=tmp_path)

    assert done.returncode == 2
    assert "--qr PAYLOAD" in done.stderr and "--code CODE" in done.stderr


def test_discover_prints_one_json_object_per_venue_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.cli import main
    from tests.support import need
    from tests.venue.test_discovery import multicast_loops
    from venue_server.discovery import VenueAnnouncer

    need(multicast_loops(), "IPv4 multicast on the loopback interface (mDNS)")
    name = f"Discovered {uuid.uuid4().hex[:6]}"
    port = free_port()
    announcer = VenueAnnouncer(host="127.0.0.1", port=port, venue_name=name)
    assert announcer.start()
    try:
        assert announcer.wait_announced()
        code = main(["scanner", "discover", "--timeout", "2"])
    finally:
        announcer.stop()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    [ours] = [line for line in lines if line["name"] == name]
    assert ours["url"] == f"http://127.0.0.1:{port}"
    assert ours["urls"] == [ours["url"]]
    assert ours["instance"].startswith(name)
    assert set(ours) == {"name", "instance", "url", "urls", "version"}


def test_decode_without_images_is_a_usage_error(tmp_path: Path) -> None:
    done = bilten("scanner", "decode", cwd=tmp_path)

    assert done.returncode == 2
    assert "IMAGE" in done.stderr


def test_decode_of_a_folder_path_is_reported_not_crashed(tmp_path: Path) -> None:
    done = bilten("scanner", "decode", str(tmp_path), cwd=tmp_path)

    assert done.returncode == 0
    [line] = [json.loads(x) for x in done.stdout.splitlines()]
    assert line["codes"] == [] and line["error"]


def test_gui_with_a_bad_source_names_the_problem(tmp_path: Path) -> None:
    from scanner_app.store import Store
    from tests.scanner.gate import DEVICE

    store = Store(tmp_path / "data" / "scanner.sqlite3")
    store.save_device(DEVICE)
    store.close()

    done = bilten(
        "scanner", "--data", str(tmp_path / "data"), "--source", "camera:front", cwd=tmp_path
    )

    assert done.returncode == 2
    assert "bad camera index" in done.stderr
    assert "Traceback" not in done.stderr
