from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from scanner_app.decode import decode_frame, read_image
from scanner_app.errors import SourceError
from scanner_app.sources import FolderSource, ImageSource, VideoSource, open_source
from shared.qr import write_png
from tests.scanner.gate import TicketMaker


def codes_of(source: object) -> list[list[str]]:
    frames = []
    while (frame := source.read()) is not None:  # type: ignore[attr-defined]
        frames.append(decode_frame(frame))
    return frames


def test_folder_gives_one_frame_per_image_in_name_order(tmp_path: Path, maker: TicketMaker) -> None:
    tokens = [maker.token() for _ in range(3)]
    for name, token in zip(["b.png", "c.png", "a.png"], tokens, strict=True):
        write_png(token, tmp_path / name)
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "d.png").write_bytes(b"broken")

    source = open_source(f"folder:{tmp_path}", folder_interval=0.0)

    assert isinstance(source, FolderSource)
    assert codes_of(source) == [[tokens[2]], [tokens[0]], [tokens[1]]]


def test_image_file_gives_one_frame(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "t.png")

    source = open_source(f"file:{tmp_path / 't.png'}")

    assert isinstance(source, ImageSource)
    assert codes_of(source) == [[token]]


def test_video_file_plays_its_frames(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "t.png")
    frame = cv2.cvtColor(cv2.resize(read_image(tmp_path / "t.png"), (480, 480)), cv2.COLOR_GRAY2BGR)
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (480, 480))
    assert writer.isOpened()
    for _ in range(5):
        writer.write(frame)
    writer.release()

    source = open_source(f"video:{path}")

    assert isinstance(source, VideoSource)
    assert source.frame_interval == pytest.approx(0.1)
    decoded = codes_of(source)
    assert len(decoded) == 5
    assert all(codes == [token] for codes in decoded)


@pytest.mark.parametrize(
    "spec",
    ["camera", "camera:front", "file:/no/such.png", "folder:/no/such", "video:/no/such.mp4", "x:1"],
)
def test_bad_source_specs_are_clear_errors(spec: str) -> None:
    with pytest.raises(SourceError):
        open_source(spec)


def test_a_camera_that_is_not_there_fails_on_first_read() -> None:
    source = open_source("camera:97")

    with pytest.raises(SourceError, match="camera 97"):
        source.read()
