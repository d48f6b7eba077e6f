"""Ticket QR codes for the pages (inline SVG) and the PDF (PNG). The code holds the ticket's
signed token and nothing else, exactly what the gate scanner reads."""

from __future__ import annotations

import io

import segno

# Medium error correction survives a scuffed print-out or a cracked phone screen, while the
# code stays coarse enough for a cheap camera at arm's length.
_ERROR = "m"


def qr_svg(content: str, title: str) -> str:
    """An inline ``<svg class="qr">`` (scalable, no image request) named ``title``."""
    code = segno.make(content, error=_ERROR, micro=False)
    svg: str = code.svg_inline(scale=4, border=4, svgclass="qr", title=title, omitsize=True)
    return svg


def qr_png(content: str, scale: int = 8) -> bytes:
    code = segno.make(content, error=_ERROR, micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
