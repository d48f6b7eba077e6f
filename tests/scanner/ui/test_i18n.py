"""The gate app in German and English: complete translations, kept in step with the code, and
a real window that speaks the language chosen in the gate's settings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from scanner_app.ui.app import install_language
from scanner_app.ui.i18n import TRANSLATIONS, install_translations
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import Open, sell, set_up_gate

ROOT = Path(__file__).resolve().parents[3]
TS = TRANSLATIONS / "bilten_de.ts"
QM = TRANSLATIONS / "bilten_de.qm"
FIX = (
    "Run packaging/update-translations.sh, translate every entry it marks unfinished in "
    "scanner_app/ui/translations/bilten_de.ts (Qt Linguist: .venv/bin/pyside6-linguist), "
    "then run the script again."
)
# {0}, {1:.0f} for str.format; %n, %1, %L1 for Qt's own arguments.
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%L?n|%L?\d+")
GERMAN_PLURAL_FORMS = 2


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    numerus: bool
    kind: str  # "" finished, "unfinished", "vanished", "obsolete"
    forms: tuple[str, ...]  # the translation, or its plural forms

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.context, self.source, self.comment)

    @property
    def where(self) -> str:
        return f"{self.context}: {self.source!r}"


def read_ts(path: Path) -> list[Message]:
    messages = []
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None, f"{path}: a message without <translation>"
            numerus = message.get("numerus") == "yes"
            forms = (
                tuple(form.text or "" for form in translation.iter("numerusform"))
                if numerus
                else (translation.text or "",)
            )
            messages.append(
                Message(
                    context=name,
                    source=message.findtext("source", ""),
                    comment=message.findtext("comment", ""),
                    numerus=numerus,
                    kind=translation.get("type", ""),
                    forms=forms,
                )
            )
    return messages


def linguist_tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease from the virtualenv that runs the tests."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing; install the scanner extras: pip install -e '.[scanner]'")
    return found


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# -- the translation files ---------------------------------------------------------------------


def test_every_text_has_a_finished_german_translation_with_the_same_placeholders() -> None:
    messages = read_ts(TS)
    assert len(messages) > 100  # the whole window, not a stub

    unfinished = [m.where for m in messages if m.kind or not all(f.strip() for f in m.forms)]
    assert not unfinished, f"Untranslated or stale entries in {TS.name}: {unfinished}. {FIX}"

    broken = []
    for message in messages:
        wanted = placeholders(message.source)
        if message.numerus and len(message.forms) != GERMAN_PLURAL_FORMS:
            broken.append(f"{message.where} needs {GERMAN_PLURAL_FORMS} plural forms")
        for index, form in enumerate(message.forms):
            found = placeholders(form)
            if message.numerus and index == 0 and "%n" not in found:
                found = sorted([*found, "%n"])  # "ein Ticket": the singular may spell out one
            if found != wanted:
                broken.append(f"{message.where} -> {form!r} has {found}, needs {wanted}")
    assert not broken, "Translations must keep every placeholder of their source:\n" + "\n".join(
        broken
    )


def test_the_translation_file_lists_exactly_the_texts_in_the_code(tmp_path: Path) -> None:
    """Fails when a text is added to (or removed from) the window without updating the
    German translation."""
    fresh = tmp_path / TS.name
    shutil.copy(TS, fresh)
    sources = sorted(str(p) for p in (ROOT / "scanner_app" / "ui").glob("*.py"))
    subprocess.run(
        [linguist_tool("pyside6-lupdate"), "-silent", "-no-obsolete", *sources, "-ts", str(fresh)],
        check=True,
        capture_output=True,
    )
    committed = {m.key for m in read_ts(TS)}
    in_code = {m.key for m in read_ts(fresh)}

    new = sorted(in_code - committed)
    gone = sorted(committed - in_code)
    assert not new and not gone, (
        f"The gate app's texts changed. New texts without a German translation: {new}. "
        f"Texts no longer in the code: {gone}. {FIX}"
    )


def test_the_compiled_translation_is_the_translation_file(tmp_path: Path) -> None:
    compiled = tmp_path / QM.name
    subprocess.run(
        [
            linguist_tool("pyside6-lrelease"),
            "-silent",
            "-nounfinished",  # as packaging/update-translations.sh compiles it
            str(TS),
            "-qm",
            str(compiled),
        ],
        check=True,
        capture_output=True,
    )
    assert compiled.read_bytes() == QM.read_bytes(), (
        f"{QM.name} is not {TS.name} compiled: the app would show other words than the "
        "translation file says. Run packaging/update-translations.sh."
    )


# -- the window --------------------------------------------------------------------------------


@pytest.fixture
def speak(qapp: QApplication) -> Iterator[Callable[[Gate], str]]:
    """Installs the language from the gate's settings the way start-up does; afterwards the
    app is back to the system language for the tests that follow."""
    yield lambda gate: install_language(qapp, gate.store)
    install_translations(qapp, "")


@pytest.mark.gui
def test_a_german_gate_shows_its_verdict_and_buttons_in_german(
    open_window: Open, gate: Gate, speak: Callable[[Gate], str]
) -> None:
    set_up_gate(gate, language="de")
    assert speak(gate) == "de"
    window = open_window(verdict_seconds=60)
    buttons = [
        b.text()
        for b in (
            window.search_button,
            window.settings_button,
            window.sync_button,
            window.kiosk_button,
        )
    ]
    assert buttons == ["Suchen", "Einstellungen", "Abgleichen", "Kiosk"]
    assert window.header.badge.text().strip() == "\u2192 EINGANG"
    assert window.scan_view.check.text() == "Pr\u00fcfen"

    token, _ = sell(gate, "Grete Schmidt", type_name="Stehplatz")
    window.submit(token)

    view = window.verdict_view
    assert window.showing_verdict
    assert view.title.text() == "Einlass"
    assert view.hint.text() == "Willkommen!"
    assert view.holder.text() == "Grete Schmidt"
    assert view.entries.text() == "Eintritt 1 von 1"
    assert view.footer.text().startswith("Bildschirm antippen")


@pytest.mark.gui
def test_a_repeat_scan_on_a_german_gate_says_so_in_german(
    open_window: Open, gate: Gate, speak: Callable[[Gate], str]
) -> None:
    set_up_gate(gate, language="de")
    speak(gate)
    window = open_window(verdict_seconds=60)
    token, _ = sell(gate)
    window.submit(token)
    window.dismiss()
    window.submit(token)

    view = window.verdict_view
    assert view.title.text() == "Bereits eingelassen"
    assert view.entries.text() == "Alle Eintritte genutzt: 1 von 1"
    assert view.previous.text().startswith("Eingelassen an Tor North um ")


@pytest.mark.gui
def test_an_english_gate_shows_english(
    open_window: Open, gate: Gate, speak: Callable[[Gate], str]
) -> None:
    set_up_gate(gate, language="en")
    assert speak(gate) == "en"
    window = open_window(verdict_seconds=60)
    assert window.search_button.text() == "Search"
    assert window.sync_button.text() == "Sync now"

    window.submit(sell(gate)[0])

    assert window.verdict_view.title.text() == "Admitted"
    assert window.verdict_view.entries.text() == "Entry 1 of 1"


@pytest.mark.gui
def test_qt_s_own_buttons_follow_the_gate_language(
    open_window: Open, gate: Gate, speak: Callable[[Gate], str], qtbot: QtBot
) -> None:
    qt_translations = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    if not (qt_translations / "qtbase_de.qm").exists():
        pytest.skip("this PySide6 ships no German translation of Qt's own texts")
    set_up_gate(gate, language="de")
    speak(gate)
    window = open_window()

    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    cancel = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.text() == "Abbrechen"
    dialog.reject()


@pytest.mark.gui
def test_without_the_translation_files_the_gate_runs_in_english(
    open_window: Open,
    gate: Gate,
    qapp: QApplication,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        assert install_translations(qapp, "de", folder=tmp_path / "nothing-here") == "en"
        window = open_window(verdict_seconds=60)
        window.submit(sell(gate)[0])
        assert window.verdict_view.title.text() == "Admitted"
    finally:
        install_translations(qapp, "")
    assert any(
        "no gate translation" in r.message and r.levelname == "WARNING" for r in caplog.records
    )
