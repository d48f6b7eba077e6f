"""CSV files for spreadsheets: RFC 4180 quoting, UTF-8 with a byte-order mark (so Excel
reads accented names right), and no cell a spreadsheet would run as a formula.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with a leading apostrophe (OWASP's advice against CSV injection): a buyer named
``=HYPERLINK(...)`` stays text. Numbers the reports compute are written as numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

Cell = str | int | float | Decimal | bool | datetime | None
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Cell) -> str | int | float:
    """The cell as written: booleans as yes/no, moments as ISO 8601 UTC, text neutralised."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    return _formatted(value)


def _formatted(value: Decimal | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def csv_chunks(
    header: Sequence[str], batches: Iterable[Iterable[Sequence[Cell]]]
) -> Iterator[bytes]:
    """The file as chunks: the header first, then one chunk per batch of rows."""
    yield (BOM + csv_text([header])).encode("utf-8")
    for batch in batches:
        text = csv_text(batch)
        if text:
            yield text.encode("utf-8")
