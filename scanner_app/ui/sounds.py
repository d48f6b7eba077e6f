"""The verdict sounds: staff hear the answer without looking at the screen.

Three sounds, one per severity, unlike enough to tell apart in a noisy foyer: a short rising
two-tone for admit, a low buzz for reject, a triple beep for "look at this person". They are
synthesised once at start-up (no sound files to ship or lose) and played by the first player
this machine has: Qt Multimedia's ``QSoundEffect`` when that module is installed, else a
system player (``pw-play``, ``paplay``, ``aplay``) started without waiting for it, else the
desktop's beep. Playing never blocks the window and never fails loudly: a gate without a
sound card still scans.
"""

from __future__ import annotations

import functools
import importlib
import io
import logging
import math
import shutil
import struct
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtWidgets import QApplication

from shared.reasons import Severity

log = logging.getLogger(__name__)

RATE = 22_050
SOUND_NAMES = {
    Severity.ADMIT: "admit",
    Severity.REJECT: "reject",
    Severity.ATTENTION: "attention",
}
# System players in order of preference; each takes a WAV file name as its last argument.
PLAYER_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("pw-play",),
    ("paplay",),
    ("aplay", "-q"),
)
# Without any audio output, the desktop beep still tells the severities apart by count.
_BEEPS = {"admit": 1, "reject": 2, "attention": 3}
_BEEP_GAP_MS = 180

Tone = tuple[float, float]  # (frequency in Hz, 0 for silence; duration in seconds)

_TONES: dict[str, Sequence[Tone]] = {
    "admit": ((880.0, 0.09), (1320.0, 0.16)),
    "reject": ((150.0, 0.5),),
    "attention": ((1000.0, 0.08), (0.0, 0.07), (1000.0, 0.08), (0.0, 0.07), (1000.0, 0.08)),
}


@functools.cache
def synthesise(name: str) -> bytes:
    """The WAV file (16-bit mono) of sound ``name``. The reject buzz is a square-ish wave,
    rich in harmonics, so it carries even through a small laptop speaker."""
    frames = bytearray()
    for frequency, seconds in _TONES[name]:
        count = int(RATE * seconds)
        fade = max(1, int(RATE * 0.005))  # a few ms of fade in and out: no clicks
        for i in range(count):
            if frequency == 0.0:
                frames += struct.pack("<h", 0)
                continue
            phase = 2 * math.pi * frequency * i / RATE
            if name == "reject":
                sample = sum(math.sin(k * phase) / k for k in (1, 3, 5, 7)) * 0.8
            else:
                sample = math.sin(phase)
            envelope = min(1.0, i / fade, (count - i) / fade)
            frames += struct.pack("<h", int(sample * envelope * 0.6 * 32767))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


class _Backend(Protocol):
    name: str

    def play(self, sound: str) -> None: ...

    def close(self) -> None: ...


class _BeepBackend:
    name = "beep"

    def play(self, sound: str) -> None:
        for i in range(_BEEPS[sound]):
            QTimer.singleShot(i * _BEEP_GAP_MS, QApplication.beep)

    def close(self) -> None:
        pass


class _CommandBackend:
    """Starts a system player per sound; a new sound cuts off the one still playing."""

    def __init__(self, command: Sequence[str], files: dict[str, Path]) -> None:
        self.name = Path(command[0]).name
        self._command = tuple(command)
        self._files = files
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping: list[subprocess.Popen[bytes]] = []
        self._fallback = _BeepBackend()

    def play(self, sound: str) -> None:
        self._stop()
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own command and file names
                [*self._command, str(self._files[sound])],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            log.warning("cannot start %s: %s; beeping instead", self.name, exc)
            self._fallback.play(sound)

    def _stop(self) -> None:
        """Cut off the sound still playing and reap finished players, without waiting."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            self._stopping.append(self._process)
            self._process = None
        self._stopping = [p for p in self._stopping if p.poll() is None]

    def close(self) -> None:
        self._stop()


class _EffectBackend:
    name = "qsoundeffect"

    def __init__(self, effect_class: type, files: dict[str, Path], parent: QObject) -> None:
        self._effects = {}
        for sound, path in files.items():
            effect = effect_class(parent)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            self._effects[sound] = effect

    def play(self, sound: str) -> None:
        for effect in self._effects.values():
            effect.stop()
        self._effects[sound].play()

    def close(self) -> None:
        for effect in self._effects.values():
            effect.stop()


def _sound_effect_class() -> type | None:
    try:
        module = importlib.import_module("PySide6.QtMultimedia")
    except ImportError:
        return None
    effect: type | None = getattr(module, "QSoundEffect", None)
    return effect


class SoundPlayer(QObject):
    """Plays the sound of a severity. ``last_played`` names the sound of the latest verdict
    (None while muted), which is also what a tester checks."""

    def __init__(
        self,
        *,
        muted: bool = False,
        players: Sequence[Sequence[str]] = PLAYER_COMMANDS,
        use_qt_multimedia: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.muted = muted
        self.last_played: str | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self.files: dict[str, Path] = {}  # written only for players that need files
        self._backend = self._choose_backend(players, use_qt_multimedia)

    @property
    def backend(self) -> str:
        """Which player is in use: ``qsoundeffect``, a command name, or ``beep``."""
        return self._backend.name

    def play(self, severity: Severity) -> None:
        if self.muted:
            self.last_played = None
            return
        sound = SOUND_NAMES[severity]
        self.last_played = sound
        self._backend.play(sound)

    def close(self) -> None:
        self._backend.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def _write_files(self) -> dict[str, Path]:
        self._folder = tempfile.TemporaryDirectory(prefix="bilten-sounds-")
        for sound in SOUND_NAMES.values():
            path = Path(self._folder.name) / f"{sound}.wav"
            path.write_bytes(synthesise(sound))
            self.files[sound] = path
        return self.files

    def _choose_backend(
        self, players: Sequence[Sequence[str]], use_qt_multimedia: bool
    ) -> _Backend:
        effect_class = _sound_effect_class() if use_qt_multimedia else None
        if effect_class is not None:
            return _EffectBackend(effect_class, self._write_files(), self)
        for command in players:
            found = shutil.which(command[0])
            if found:
                return _CommandBackend((found, *command[1:]), self._write_files())
        return _BeepBackend()
