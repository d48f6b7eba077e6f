from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_gui_on_an_unpaired_device_says_how_to_pair(tmp_path: Path) -> None:
    done = bilten("scanner", "--data", str(tmp_path / "data"), cwd=tmp_path)

    assert done.returncode == 2
    assert "not paired" in done.stderr
    assert "bilten scanner pair --venue" in done.stderr
    assert "Traceback" not in done.stderr


def test_default_data_dir_follows_bilten_data(tmp_path: Path) -> None:
    done = bilten("scanner", cwd=tmp_path, env={"BILTEN_DATA": str(tmp_path / "root")})

    assert done.returncode == 2
    assert (tmp_path / "root" / "scanner" / "scanner.sqlite3").is_file()


def test_pairing_with_a_venue_that_is_down_is_a_clear_failure(tmp_path: Path) -> None:
    done = bilten(
        "scanner",
        "pair",
        "--venue",
        f"http://127.0.0.1:{free_port()}",
        "--code",
        "ABCD-1234",
        "--name",
        "North 1",
        "--data",
        str(tmp_path / "data"),
        cwd=tmp_path,
    )

    assert done.returncode == 1
    assert "unreachable" in done.stderr
    assert "Traceback" not in done.stderr


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
