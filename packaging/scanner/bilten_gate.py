"""The program of the gate app's desktop bundle: ``bilten-gate`` is ``bilten scanner`` on its
own (``bilten-gate``, ``bilten-gate pair ...``, ``bilten-gate self-test``), with the gate's
data in the user's own folder rather than wherever it was started from."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def user_data_root() -> Path:
    """%LOCALAPPDATA%\\Bilten on Windows, ~/Library/Application Support/Bilten on macOS,
    $XDG_DATA_HOME/bilten (~/.local/share/bilten) elsewhere."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "Bilten"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Bilten"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "bilten"


def main(argv: Sequence[str] | None = None) -> int:
    # Before the scanner's commands are built: their default data folder comes from it.
    os.environ.setdefault("BILTEN_DATA", str(user_data_root()))
    from scanner_app.cli import register
    from shared.errors import BiltenError

    parser = argparse.ArgumentParser(prog="bilten-gate", description="Bilten gate app")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["scanner", *(sys.argv[1:] if argv is None else argv)])
    try:
        code: int = args.handler(args)
    except BiltenError as exc:
        print(f"bilten-gate: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
