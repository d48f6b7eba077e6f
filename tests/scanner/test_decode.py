from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from scanner_app.decode import decode_file, decode_frame, read_image
from shared.qr import write_png
from tests.scanner.gate import TicketMaker


def test_decodes_a_ticket_qr_png(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png")

    result = decode_file(tmp_path / "ticket.png")

    assert result.codes == [token]
    assert result.error is None
    assert result.ms >= 0


def test_decodes_a_dark_mode_inverted_code(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png")
    inverted = cv2.bitwise_not(read_image(tmp_path / "ticket.png"))

    assert decode_frame(inverted) == [token]
    assert decode_frame(inverted, try_inverted=False) == []


def test_decodes_a_colour_camera_frame_with_the_code_off_centre(
    maker: TicketMaker, tmp_path: Path
) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png", scale=4)
    code = cv2.cvtColor(read_image(tmp_path / "ticket.png"), cv2.COLOR_GRAY2BGR)
    frame = np.full((480, 640, 3), (40, 90, 160), dtype=np.uint8)
    frame[100 : 100 + code.shape[0], 300 : 300 + code.shape[1]] = code

    assert decode_frame(frame) == [token]


def test_an_image_without_a_qr_code_yields_nothing(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, size=(240, 320), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "noise.png"), noise)

    assert decode_file(tmp_path / "noise.png").codes == []


def test_missing_and_broken_files_are_answers_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")

    missing = decode_file(tmp_path / "missing.png")
    broken = decode_file(tmp_path / "broken.png")

    assert missing.codes == [] and missing.error
    assert broken.codes == [] and broken.error


def test_cli_prints_one_json_object_per_image(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "a.png")
    (tmp_path / "b.txt").write_text("hello")

    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "scanner", "decode", "a.png", "b.txt", "nope.png"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == ["a.png", "b.txt", "nope.png"]
    assert lines[0]["codes"] == [token]
    assert "error" not in lines[0]
    assert isinstance(lines[0]["ms"], float | int)
    for line in lines[1:]:
        assert line["codes"] == []
        assert line["error"]
