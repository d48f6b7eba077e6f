"""QR codes for tickets and pairing, made the way gates read them best."""

from __future__ import annotations

from pathlib import Path

import segno


def make_qr(text: str) -> segno.QRCode:
    """Error correction M, no higher (bigger modules read better than extra redundancy), and
    the alphanumeric mode whenever the text allows it, as ticket tokens always do."""
    return segno.make_qr(text, error="m", boost_error=False)


def qr_version(text: str) -> int:
    version = make_qr(text).version
    assert isinstance(version, int)
    return version


def write_png(text: str, path: Path, scale: int = 8) -> None:
    make_qr(text).save(str(path), kind="png", scale=scale, border=4)
