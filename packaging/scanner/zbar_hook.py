"""PyInstaller runtime hook: pyzbar looks for libzbar with ctypes.util.find_library, which
searches the system; in the bundle it must load the copy that ships next to the program."""

import ctypes.util
import sys
from pathlib import Path

_BUNDLED = str(Path(getattr(sys, "_MEIPASS", "")) / "libzbar.so.0")

if Path(_BUNDLED).exists():
    _system_find_library = ctypes.util.find_library

    def _find_library(name: str) -> str | None:
        return _BUNDLED if name == "zbar" else _system_find_library(name)

    ctypes.util.find_library = _find_library
