"""The gate app's language: which translation the window is built in.

Gate staff choose the language in Settings ("" follows the computer's own language). Every
label is translated once, when its widget is built, so the translator is installed at start-up
before any window exists, and a new choice applies at the next start.

Our texts come from ``translations/bilten_<lang>.qm`` next to this module (made from the
``.ts`` by ``packaging/update-translations.sh``). Qt's own texts (the standard buttons of a
dialog, a line edit's context menu) come from the ``qtbase_<lang>.qm`` PySide6 ships, when it
ships one. A missing or unreadable file never stops the gate: it runs in English and says so in
the log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).with_name("translations")
SOURCE_LANGUAGE = "en"  # the language the texts are written in; needs no file
_CATALOGUE = "bilten"
_QT_CATALOGUE = "qtbase"
_INSTALLED = "bilten-translator"  # object name that marks the translators installed here


def install_translations(
    app: QCoreApplication, language: str, *, folder: Path = TRANSLATIONS
) -> str:
    """Translate the app into ``language`` ("" = the system's language, "en", "de", ...).

    Returns the language the app now speaks: ``language`` itself, the system's language for
    "", or "en" when there is no translation for it. Replaces what an earlier call installed,
    so calling it again switches language for the widgets built afterwards.
    """
    _remove_installed(app)
    locale = QLocale.system() if not language else QLocale(language)
    QLocale.setDefault(locale)  # numbers and dates in the same language as the words
    if _speaks_source_language(locale):
        return SOURCE_LANGUAGE
    ours = _load(app, locale, _CATALOGUE, folder)
    if ours is None:
        log.warning(
            "no gate translation for %s in %s; the gate shows English. Run "
            "packaging/update-translations.sh to build the .qm files.",
            language or f"the system language ({locale.name()})",
            folder,
        )
        QLocale.setDefault(QLocale(QLocale.Language.English))
        return SOURCE_LANGUAGE
    qt_folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    if _load(app, locale, _QT_CATALOGUE, qt_folder) is None:
        log.info("Qt ships no %s translation for %s", _QT_CATALOGUE, locale.name())
    return _language_of(ours)


def _speaks_source_language(locale: QLocale) -> bool:
    """English, or the "C" locale of a machine without a configured language."""
    return locale.language() in (QLocale.Language.English, QLocale.Language.C)


def _load(
    app: QCoreApplication, locale: QLocale, catalogue: str, folder: Path
) -> QTranslator | None:
    """Install ``folder/<catalogue>_<lang>.qm`` for the locale's languages, best match first
    (de_AT, then de); None when there is no such file or it is unreadable."""
    translator = QTranslator(app)  # the app owns it, so it lives as long as the app
    if not translator.load(locale, catalogue, "_", str(folder)) or not app.installTranslator(
        translator
    ):
        translator.deleteLater()
        return None
    translator.setObjectName(_INSTALLED)
    return translator


def _remove_installed(app: QCoreApplication) -> None:
    for translator in app.findChildren(QTranslator, _INSTALLED):
        app.removeTranslator(translator)
        translator.setObjectName("")
        translator.deleteLater()


def _language_of(translator: QTranslator) -> str:
    """The language code of the file loaded: ``bilten_de.qm`` -> ``de``."""
    stem = Path(translator.filePath()).stem
    return stem.removeprefix(f"{_CATALOGUE}_") or translator.language()
