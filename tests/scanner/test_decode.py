from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PySide6.QtCore import QThread
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from scanner_app.debounce import Debounce
from scanner_app.decode import NOTHING, Stage, decode_file, decode_frame, read_codes, read_image
from scanner_app.ui.camera_worker import PREVIEW_WIDTH, CameraWorker, FrameResult, preview_image
from shared.qr import write_png
from tests.frames import CATEGORIES, DoorFrame, degraded_frames, negative_frames
from tests.scanner.gate import TicketMaker

FRAMES_PER_CATEGORY = 10


@pytest.fixture(scope="module")
def door_frames() -> list[DoorFrame]:
    """Ten frames of each kind of trouble at the door; the same frames on every run."""
    return degraded_frames(FRAMES_PER_CATEGORY * len(CATEGORIES), seed=2024)


def raw_zbar(image: np.ndarray) -> list[str]:
    """zbar on its own, as the scanner used it before it had a pipeline."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return [s.data.decode() for s in zbar_decode(gray, symbols=[ZBarSymbol.QRCODE])]


def test_decodes_a_ticket_qr_png(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png")

    result = decode_file(tmp_path / "ticket.png")

    assert result.codes == [token]
    assert result.error is None
    assert result.stage is not None
    assert result.ms >= 0


def test_reads_at_least_97_percent_of_degraded_door_frames(door_frames: list[DoorFrame]) -> None:
    missed = [f for f in door_frames if read_codes(f.image).codes != (f.expected,)]

    rate = 1 - len(missed) / len(door_frames)
    assert rate >= 0.97, f"read {rate:.1%}; missed {[(f.category, f.seed) for f in missed]}"
    by_category = Counter(f.category for f in missed)
    assert all(count <= 2 for count in by_category.values()), by_category


def test_reads_dark_mode_phones_that_zbar_alone_misses(door_frames: list[DoorFrame]) -> None:
    dark = [f for f in door_frames if f.category == "dark_mode"]

    zbar_misses = [f for f in dark if f.expected not in raw_zbar(f.image)]

    assert len(zbar_misses) >= len(dark) // 2
    for frame in zbar_misses:
        assert decode_frame(frame.image) == [frame.expected], frame.seed


def test_decodes_a_dark_mode_inverted_png(tmp_path: Path, maker: TicketMaker) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png")
    inverted = cv2.bitwise_not(read_image(tmp_path / "ticket.png"))

    assert raw_zbar(inverted) == []
    assert decode_frame(inverted) == [token]


def test_far_away_codes_need_the_full_size_pass(door_frames: list[DoorFrame]) -> None:
    small = [f for f in door_frames if f.category == "small"]

    stages = Counter(read_codes(f.image).stage for f in small)

    assert stages[Stage.ZXING_FULL] >= 1, stages
    assert None not in stages, stages


def test_no_code_is_read_where_there_is_no_qr_code() -> None:
    frames = negative_frames(20, seed=2024)

    read = {(f.category, f.seed): read_codes(f.image).codes for f in frames}

    assert all(codes == () for codes in read.values()), read


def test_a_micro_qr_code_is_not_taken_for_a_ticket() -> None:
    """Wristbands and vouchers carry other kinds of QR; only full-size QR codes are tickets."""
    micro = segno.make_micro("WRISTBAND42")
    picture = np.array(list(micro.matrix_iter(scale=10, border=4)), dtype=np.uint8)
    frame = np.where(picture == 1, 0, 255).astype(np.uint8)
    assert zxingcpp.read_barcodes(frame)  # it is a readable code, just not a ticket

    assert read_codes(frame, thorough=True) == NOTHING


def test_decodes_a_colour_camera_frame_with_the_code_off_centre(
    maker: TicketMaker, tmp_path: Path
) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png", scale=4)
    code = cv2.cvtColor(read_image(tmp_path / "ticket.png"), cv2.COLOR_GRAY2BGR)
    frame = np.full((480, 640, 3), (40, 90, 160), dtype=np.uint8)
    frame[100 : 100 + code.shape[0], 300 : 300 + code.shape[1]] = code

    assert decode_frame(frame) == [token]


def test_two_tickets_in_one_frame_are_both_read(maker: TicketMaker, tmp_path: Path) -> None:
    tokens = [maker.token(), maker.token()]
    frame = np.full((720, 1280), 200, dtype=np.uint8)
    for i, token in enumerate(tokens):
        write_png(token, tmp_path / f"{i}.png", scale=6)
        code = read_image(tmp_path / f"{i}.png")
        frame[50 : 50 + code.shape[0], 40 + 620 * i : 40 + 620 * i + code.shape[1]] = code

    assert sorted(decode_frame(frame)) == sorted(tokens)


def test_an_image_without_a_qr_code_yields_nothing(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, size=(240, 320), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "noise.png"), noise)

    assert decode_file(tmp_path / "noise.png").codes == []


GARBAGE = {
    "none": None,
    "text": "not a frame",
    "list": [[0, 255], [255, 0]],
    "empty": np.zeros((0, 0), np.uint8),
    "empty colour": np.zeros((0, 10, 3), np.uint8),
    "one pixel": np.zeros((1, 1), np.uint8),
    "a row": np.zeros(1280, np.uint8),
    "four dimensions": np.zeros((2, 30, 30, 3), np.uint8),
    "two channels": np.zeros((30, 30, 2), np.uint8),
    "five channels": np.zeros((30, 30, 5), np.uint8),
    "tiny": np.zeros((5, 5), np.uint8),
    "nan floats": np.full((64, 64), np.nan, np.float32),
    "infinite floats": np.full((64, 64, 3), np.inf),
    "negative ints": np.full((64, 64), -5, np.int64),
    "16 bit": np.full((64, 64), 65535, np.uint16),
    "bool": np.eye(64, dtype=bool),
    "complex": np.zeros((64, 64), np.complex64),
    "strings": np.full((64, 64), "x"),
    "objects": np.full((64, 64), None, dtype=object),
    "strided": np.zeros((200, 200, 3), np.uint8)[::3, ::2, ::-1],
    "fortran order": np.asfortranarray(np.zeros((100, 80), np.uint8)),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_frames_are_no_codes_not_crashes(name: str) -> None:
    frame = GARBAGE[name]

    assert read_codes(frame) == NOTHING
    assert read_codes(frame, thorough=True) == NOTHING
    assert decode_frame(frame) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=48),
    )
)
def test_no_array_makes_the_pipeline_raise(frame: np.ndarray) -> None:
    result = read_codes(frame, thorough=True)

    assert isinstance(result.codes, tuple)


def test_float_and_16_bit_frames_of_a_ticket_are_read(maker: TicketMaker, tmp_path: Path) -> None:
    token = maker.token()
    write_png(token, tmp_path / "ticket.png", scale=4)
    image = read_image(tmp_path / "ticket.png")

    assert decode_frame(image.astype(np.float32) / 255) == [token]
    assert decode_frame(image.astype(np.uint16) * 257) == [token]


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


# -- debounce: a ticket in view for many frames is one scan -----------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_code_held_in_view_counts_once() -> None:
    clock = FakeClock()
    debounce = Debounce(hold=3.0, clock=clock)

    passed = []
    for _ in range(90):  # three seconds of frames at 30 fps, all showing the ticket
        passed.append(debounce.fresh(["T1"]))
        clock.now += 1 / 30

    assert passed[0] == ("T1",)
    assert all(codes == () for codes in passed[1:])


def test_the_same_code_shown_again_after_leaving_view_counts_again() -> None:
    clock = FakeClock()
    debounce = Debounce(hold=3.0, clock=clock)
    assert debounce.fresh(["T1"]) == ("T1",)

    clock.now += 2.9  # taken away briefly, e.g. the holder turned the phone
    assert debounce.fresh(["T1"]) == ()
    clock.now += 3.1  # gone for longer than the hold
    assert debounce.fresh(["T1"]) == ("T1",)


def test_a_new_code_passes_while_another_is_held_back() -> None:
    clock = FakeClock()
    debounce = Debounce(hold=3.0, clock=clock)
    debounce.fresh(["T1"])
    clock.now += 0.5

    assert debounce.fresh(["T1", "T2", "T2"]) == ("T2",)
    assert debounce.seen("T1") and debounce.seen("T2")
    clock.now += 10
    assert not debounce.seen("T1")


def test_debounce_hold_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="hold"):
        Debounce(hold=-1)


# -- the camera worker: frames in, previews and debounced scans out --------------------------


class SteppingSource:
    """Stands in for a camera: hands out prepared frames, moving a clock on with each one."""

    frame_interval = 0.0

    def __init__(self, frames: list[np.ndarray], clock: FakeClock, step: float) -> None:
        self._frames = list(frames)
        self._clock = clock
        self._step = step
        self.closed = False

    def read(self) -> np.ndarray | None:
        if not self._frames:
            return None
        self._clock.now += self._step
        return self._frames.pop(0)

    def close(self) -> None:
        self.closed = True

    def describe(self) -> str:
        return "test camera"


class Recorder:
    def __init__(self, worker: CameraWorker) -> None:
        self.frames: list[FrameResult] = []
        self.found: list[FrameResult] = []
        self.previews: list[QImage] = []
        worker.frame_decoded.connect(self.frames.append)
        worker.codes_found.connect(self.found.append)
        worker.preview_ready.connect(self.previews.append)


@pytest.fixture(scope="module")
def two_tickets() -> list[DoorFrame]:
    return degraded_frames(2, seed=77, categories=["clean", "dark_mode"])


@pytest.mark.gui
def test_worker_reports_each_ticket_once_and_previews_at_a_bounded_rate(
    qtbot: QtBot, two_tickets: list[DoorFrame]
) -> None:
    first, second = two_tickets
    blank = negative_frames(5, seed=1)[4].image
    clock = FakeClock()
    frames = [first.image] * 6 + [blank] * 3 + [second.image] * 6  # half a second at 30 fps
    source = SteppingSource(frames, clock, step=1 / 30)
    worker = CameraWorker(source, debounce=Debounce(hold=3.0, clock=clock), clock=clock)
    seen = Recorder(worker)

    worker.run()

    assert [r.codes for r in seen.found] == [(first.expected,), (second.expected,)]
    assert all(r.stage is not None for r in seen.found)
    assert len(seen.frames) == len(frames)
    assert seen.frames[7].codes == ()
    assert 7 <= len(seen.previews) <= 9  # 15 previews a second out of 30 frames
    assert all(p.width() <= PREVIEW_WIDTH and not p.isNull() for p in seen.previews)
    assert source.closed


@pytest.mark.gui
def test_worker_counts_a_ticket_again_after_it_left_the_view(
    qtbot: QtBot, two_tickets: list[DoorFrame]
) -> None:
    ticket = two_tickets[0]
    blank = negative_frames(5, seed=1)[4].image
    clock = FakeClock()
    frames = [ticket.image, blank, blank, ticket.image]
    source = SteppingSource(frames, clock, step=2.0)  # two seconds between frames
    worker = CameraWorker(source, debounce=Debounce(hold=3.0, clock=clock), clock=clock)
    seen = Recorder(worker)

    worker.run()

    assert [r.frame_no for r in seen.found] == [1, 4]


@pytest.mark.gui
def test_worker_decodes_on_its_own_thread(qtbot: QtBot, two_tickets: list[DoorFrame]) -> None:
    ticket = two_tickets[1]
    source = SteppingSource([ticket.image] * 3, FakeClock(), step=1.0)
    worker = CameraWorker(source)
    seen = Recorder(worker)
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)

    with qtbot.waitSignal(worker.finished, timeout=10000):
        thread.start()
    thread.wait(5000)

    assert [r.codes for r in seen.found] == [(ticket.expected,)]
    assert seen.previews and seen.previews[0].width() == PREVIEW_WIDTH


@pytest.mark.gui
def test_worker_survives_frames_that_are_not_images(qtbot: QtBot) -> None:
    clock = FakeClock()
    frames = [np.zeros((0, 0), np.uint8), np.zeros((4, 4, 7), np.float64), np.zeros(3)]
    worker = CameraWorker(SteppingSource(frames, clock, step=1.0), clock=clock)
    seen = Recorder(worker)

    worker.run()

    assert [r.codes for r in seen.frames] == [(), (), ()]
    assert seen.found == [] and seen.previews == []


def test_preview_of_grey_and_colour_frames_owns_its_pixels() -> None:
    colour = np.zeros((720, 1280, 3), np.uint8)
    colour[:, :, 2] = 255  # red in OpenCV's BGR order
    grey = np.full((100, 200), 128, np.uint8)

    wide = preview_image(colour, 640)
    small = preview_image(grey, 640)
    del colour, grey

    assert wide is not None and (wide.width(), wide.height()) == (640, 360)
    assert wide.pixelColor(10, 10).red() == 255 and wide.pixelColor(10, 10).blue() == 0
    assert small is not None and (small.width(), small.height()) == (200, 100)
    assert small.pixelColor(5, 5).red() == 128
