"""CSV files for spreadsheets: RFC 4180 quoting, UTF-8 with a byte-order mark (so Excel
reads accented names right), and no cell a spreadsheet would run as a formula.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with a leading apostrophe (OWASP's advice against CSV injection): a buyer named
``=HYPERLINK(...)`` stays text. Numbers the reports compute are written as numbers.

Moments are ISO 8601 in the venue's time with its UTC offset (``2030-06-01T20:00:00+02:00``):
what the organizer's clock said, and still one exact moment for a program reading the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from cloud.venues import zones

Cell = str | int | float | Decimal | bool | datetime | None
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Cell, zone: str | None = None) -> str | int | float:
    """The cell as written: booleans as yes/no, moments as ISO 8601 in ``zone`` (without one,
    in the offset they carry), text neutralised."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    return _formatted(value, zone)


def _formatted(value: Decimal | datetime | None, zone: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if zone is not None:
        value = value.astimezone(zones.zone(zone))
    return value.isoformat().replace("+00:00", "Z")


def csv_text(rows: Iterable[Sequence[Cell]], zone: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value, zone) for value in row])
    return out.getvalue()


def csv_chunks(
    header: Sequence[str], batches: Iterable[Iterable[Sequence[Cell]]], zone: str | None = None
) -> Iterator[bytes]:
    """The file as chunks: the header first, then one chunk per batch of rows, their moments
    in ``zone``."""
    yield (BOM + csv_text([header])).encode("utf-8")
    for batch in batches:
        text = csv_text(batch, zone)
        if text:
            yield text.encode("utf-8")
