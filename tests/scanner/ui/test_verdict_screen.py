"""The verdict screen as gate staff see and hear it, one state at a time."""

from __future__ import annotations

import io
import itertools
import logging
import os
import stat
import time
import wave
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from scanner_app.ui.sounds import SoundPlayer, synthesise
from shared.clock import HybridClock
from shared.ids import new_scan_id
from shared.messages import Direction, ScanRecord
from shared.reasons import Reason, Severity
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import (
    AMBER,
    GREEN,
    RED,
    Open,
    press_enter,
    sell,
    set_up_gate,
    shown_colour,
    type_keys,
)

pytestmark = pytest.mark.gui


def admitted_elsewhere(
    gate: Gate,
    ticket_id: str,
    *,
    at_ms: int,
    reason: Reason = Reason.ADMITTED,
    gate_name: str = "B",
    device: str = "Scanner-3",
) -> None:
    """Another gate's scan of the ticket, as the venue relays it to this device."""
    record = ScanRecord(
        scan_id=new_scan_id(),
        device_id="dgate03",
        device_name=device,
        gate=gate_name,
        hlc=HybridClock("dgate03", wall=lambda: at_ms).now().encode(),
        scanned_at_ms=at_ms,
        reason=reason,
        event_id=gate.maker.event_id,
        ticket_id=ticket_id,
        direction=Direction.EXIT if reason is Reason.EXITED else Direction.ENTRY,
    )
    gate.store.add_feed_scans([record], f"feed-{record.scan_id}")


def test_admitted_is_green_with_a_check_the_holder_the_type_and_the_entry_count(
    open_window: Open, gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    window = open_window(verdict_seconds=60)
    token, _ = sell(gate, "Grace Hopper", type_name="Balcony seat")
    shown: list[tuple[Reason, str]] = []
    window.verdict_shown.connect(lambda verdict, scan_id: shown.append((verdict.reason, scan_id)))

    with caplog.at_level(logging.INFO, logger="scanner_app.gate"):
        window.submit(token)

    view = window.verdict_view
    assert window.showing_verdict
    assert shown_colour(window) == GREEN
    assert view.icon.symbol == "\u2714"
    assert view.title.text() == "Admitted"
    assert view.holder.text() == "Grace Hopper"
    assert view.ticket_type.text() == "Balcony seat"
    assert view.entries.text() == "Entry 1 of 1"
    assert not view.manual_mark.isVisible()
    assert window.sounds.last_played == "admit"
    # The verdict came after the scan was committed: its record is on disk under that id.
    [(reason, scan_id)] = shown
    assert reason is Reason.ADMITTED
    assert gate.store.scan(scan_id) is not None
    assert f"shown {scan_id} admitted" in caplog.messages


def test_the_icon_is_drawn_in_the_text_colour_not_left_to_colour_alone(
    open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    window.submit(sell(gate)[0])

    picture = window.verdict_view.icon.grab().toImage()
    colours = {
        picture.pixelColor(x, y).name()
        for x in range(0, picture.width(), 3)
        for y in range(0, picture.height(), 3)
    }
    assert QColor("#ffffff").name() in colours  # the white check mark on green


def test_a_multi_entry_ticket_counts_its_entries(open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=60)
    token, _ = sell(gate, max_entries=3)

    window.submit(token)
    window.dismiss()
    window.submit(token)

    assert window.verdict_view.entries.text() == "Entry 2 of 3"
    assert shown_colour(window) == GREEN


def test_a_re_entry_after_going_out_says_re_entry(open_window: Open, gate: Gate) -> None:
    token, ref = sell(gate, reentry=True)
    now_ms = int(time.time() * 1000)
    admitted_elsewhere(gate, ref, at_ms=now_ms - 600_000)
    admitted_elsewhere(gate, ref, at_ms=now_ms - 300_000, reason=Reason.EXITED)
    window = open_window(verdict_seconds=60)

    window.submit(token)

    assert window.verdict_view.title.text() == "Admitted"
    assert window.verdict_view.entries.text() == "Re-entry"


@pytest.mark.parametrize(
    ("kind", "title"), [("forged", "Forged ticket"), ("revoked", "Ticket revoked")]
)
def test_a_refused_ticket_is_red_with_a_cross(
    open_window: Open, gate: Gate, kind: str, title: str
) -> None:
    window = open_window(verdict_seconds=60)
    token = gate.maker.forge() if kind == "forged" else sell(gate, "Alan Turing", revoked=True)[0]

    window.submit(token)

    view = window.verdict_view
    assert shown_colour(window) == RED
    assert view.icon.symbol == "\u2716"
    assert view.title.text() == title
    assert "admit" in view.hint.text().lower()
    assert view.entries.text() == ""
    assert window.sounds.last_played == "reject"


def test_a_repeat_says_where_when_and_by_which_device_it_was_admitted(
    open_window: Open, gate: Gate
) -> None:
    token, ref = sell(gate)
    # Twelve minutes ago, or midnight when that was yesterday: the screen words today's
    # admissions differently from earlier days'.
    midnight = QDateTime(QDate.currentDate(), QTime(0, 0)).toMSecsSinceEpoch()
    first = max(int(time.time() * 1000) - 12 * 60_000, midnight)
    admitted_elsewhere(gate, ref, at_ms=first, gate_name="B", device="Scanner-3")
    window = open_window(verdict_seconds=60)

    window.submit(token)

    view = window.verdict_view
    clock_time = QDateTime.fromMSecsSinceEpoch(first).toString("HH:mm:ss")
    assert shown_colour(window) == AMBER
    assert view.icon.symbol == "!"
    assert view.title.text() == "Already admitted"
    assert view.previous.text().startswith(
        f"Already admitted at gate B at {clock_time} by device Scanner-3"
    )
    assert view.entries.text() == "All entries used: 1 of 1"
    assert window.sounds.last_played == "attention"


def test_a_repeat_from_an_earlier_day_gives_the_date(open_window: Open, gate: Gate) -> None:
    token, ref = sell(gate)
    first = int(time.time() * 1000) - 2 * 24 * 3_600_000
    admitted_elsewhere(gate, ref, at_ms=first, gate_name="B", device="Scanner-3")
    window = open_window(verdict_seconds=60)

    window.submit(token)

    when = QDateTime.fromMSecsSinceEpoch(first)
    assert window.verdict_view.previous.text() == (
        f"Already admitted at gate B on {when.toString('yyyy-MM-dd')} "
        f"at {when.toString('HH:mm:ss')} by device Scanner-3"
    )


def test_a_repeat_at_this_scanner_names_it(open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=60)
    token, _ = sell(gate)

    window.submit(token)
    window.dismiss()
    window.submit(token)

    assert "by device North 1 (this scanner)" in window.verdict_view.previous.text()


def test_a_ticket_type_this_gate_does_not_take_asks_for_attention(
    open_window: Open, gate: Gate
) -> None:
    set_up_gate(gate, type_ids=frozenset({2}))
    window = open_window(verdict_seconds=60)

    window.submit(sell(gate, type_id=1)[0])

    assert shown_colour(window) == AMBER
    assert window.verdict_view.title.text() == "Wrong gate"
    assert "right gate" in window.verdict_view.hint.text()
    assert window.sounds.last_played == "attention"


def test_an_exit_gate_records_the_exit(open_window: Open, gate: Gate) -> None:
    set_up_gate(gate, direction=Direction.EXIT)
    window = open_window(verdict_seconds=60)

    window.submit(sell(gate, "Grace Hopper")[0])

    view = window.verdict_view
    assert shown_colour(window) == GREEN
    assert view.icon.symbol == "\u2714"
    assert view.entries.text() == "Exit recorded"
    assert view.holder.text() == "Grace Hopper"


def test_a_tap_dismisses_early(qtbot: QtBot, open_window: Open, gate: Gate) -> None:
    window = open_window(verdict_seconds=60)
    window.submit("garbage")
    assert window.verdict_view.title.text() == "Not a ticket"

    qtbot.mouseClick(window.verdict_view, Qt.MouseButton.LeftButton)

    assert window.scan_view.isVisible()


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Space, Qt.Key.Key_A])
def test_any_key_dismisses_early(qtbot: QtBot, open_window: Open, gate: Gate, key: Qt.Key) -> None:
    window = open_window(verdict_seconds=60)
    window.submit("garbage")

    qtbot.keyClick(window, key)

    assert window.scan_view.isVisible()


def test_the_verdict_goes_away_by_itself_after_the_gate_s_verdict_time(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    set_up_gate(gate, verdict_seconds=0.2)
    window = open_window()

    window.submit(sell(gate)[0])

    assert window.verdict_view.isVisible()
    qtbot.waitUntil(window.scan_view.isVisible, timeout=3000)


def test_the_next_scan_replaces_the_verdict_on_screen(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    window = open_window(verdict_seconds=60)
    window.submit(gate.maker.forge())

    type_keys(qtbot, window, sell(gate, "Ada Lovelace")[0])
    press_enter(qtbot, window)

    assert window.verdict_view.title.text() == "Admitted"
    assert window.verdict_view.holder.text() == "Ada Lovelace"


def test_a_manual_admission_from_the_search_shows_a_manual_verdict(
    qtbot: QtBot, open_window: Open, gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    sell(gate, "Katherine Johnson")
    window = open_window(verdict_seconds=60)
    qtbot.mouseClick(window.search_button, Qt.MouseButton.LeftButton)
    panel = window.search_panel
    assert panel is not None and panel.isVisible()

    panel.search_field.setText("Katherine")
    panel.refresh()
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: panel.holder_label.text() == "Katherine Johnson", timeout=3000)
    panel.reason_field.setText("phone battery dead, ID checked")
    with caplog.at_level(logging.INFO, logger="scanner_app.gate"):
        qtbot.mouseClick(panel.admit_button, Qt.MouseButton.LeftButton)

    view = window.verdict_view
    assert window.showing_verdict
    assert view.holder.text() == "Katherine Johnson"
    assert view.manual_mark.isVisible()
    assert "Manual admission" in view.manual_mark.text()
    [record] = gate.store.recent_scans()
    assert record.manual
    assert f"shown {record.scan_id} admitted" in caplog.messages
    window.dismiss()
    assert window.scan_view.isVisible()


def test_muted_gate_plays_nothing(open_window: Open, gate: Gate) -> None:
    set_up_gate(gate, sound=False)
    window = open_window(verdict_seconds=60)

    window.submit(sell(gate)[0])

    assert window.verdict_view.title.text() == "Admitted"
    assert window.sounds.last_played is None


# -- the sounds themselves ----------------------------------------------------------------


def _samples(wav: bytes) -> list[int]:
    with wave.open(io.BytesIO(wav)) as sound:
        raw = sound.readframes(sound.getnframes())
        rate = sound.getframerate()
    assert rate > 8000
    return [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]


def _crossings_per_second(samples: list[int], rate: int = 22_050) -> float:
    crossings = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    return crossings * rate / max(1, len(samples))


def _bursts(samples: list[int], rate: int = 22_050) -> int:
    """Runs of sound separated by at least 30 ms of silence."""
    window = rate // 100
    loud = [
        max(abs(s) for s in samples[i : i + window]) > 1000 for i in range(0, len(samples), window)
    ]
    return sum(1 for a, b in itertools.pairwise([False, *loud]) if b and not a)


def test_the_three_sounds_are_told_apart_by_ear() -> None:
    admit, reject, attention = (
        _samples(synthesise(name)) for name in ("admit", "reject", "attention")
    )

    half = len(admit) // 2
    assert _crossings_per_second(admit[half:]) > _crossings_per_second(admit[:half])  # rising
    assert _crossings_per_second(reject) < 300  # a low buzz
    assert _bursts(attention) == 3  # a triple beep
    assert _bursts(admit) == 1 and _bursts(reject) == 1
    assert all(len(s) / 22_050 < 0.8 for s in (admit, reject, attention))  # short


def test_a_system_player_is_started_with_the_sound_of_the_severity(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    played = tmp_path / "played.txt"
    player = bin_dir / "aplay"
    player.write_text(
        f'#!/bin/sh\nfor last; do :; done\ncat "$last" > {played}.tmp\nmv {played}.tmp {played}\n'
    )
    player.chmod(player.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")

    sounds = SoundPlayer(players=(("aplay", "-q"),), use_qt_multimedia=False)
    try:
        assert sounds.backend == "aplay"
        sounds.play(Severity.ATTENTION)
        qtbot.waitUntil(played.exists, timeout=5000)
    finally:
        sounds.close()

    assert sounds.last_played == "attention"
    assert played.read_bytes() == synthesise("attention")


def test_without_any_audio_player_the_gate_beeps_and_goes_on(open_window: Open, gate: Gate) -> None:
    sounds = SoundPlayer(players=(("no-such-player-here",),), use_qt_multimedia=False)
    window = open_window(verdict_seconds=60, sounds=sounds)

    window.submit(gate.maker.forge())

    assert sounds.backend == "beep"
    assert sounds.last_played == "reject"
    assert window.verdict_view.title.text() == "Forged ticket"
    sounds.close()
