"""Reports as CSV downloads, for the JSON API and the organizer's pages alike.

Every download says how many rows it holds in the ``Bilten-Row-Count`` header before the
first byte of the file; the attendee list is streamed batch by batch (cloud.analytics
.attendees), the other reports are small enough to be written at once."""

from __future__ import annotations

from collections.abc import Iterator

from litestar.response import Stream
from sqlalchemy.orm import Session, sessionmaker

from cloud.analytics.attendees import AttendeeFilter, export_batches, plan_export
from cloud.analytics.csv_export import csv_chunks
from cloud.analytics.tables import ATTENDEE_HEADER, Table, attendee_rows

ROW_COUNT_HEADER = "Bilten-Row-Count"


def csv_download(filename: str, rows: int, chunks: Iterator[bytes]) -> Stream:
    return Stream(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            ROW_COUNT_HEADER: str(rows),
            # Attendee lists hold personal data: kept by no cache.
            "Cache-Control": "no-store",
        },
    )


def table_download(filename: str, table: Table) -> Stream:
    return csv_download(
        filename, len(table.rows), csv_chunks(table.header, [table.rows], table.zone)
    )


def attendees_download(
    db: Session,
    sessions: sessionmaker[Session],
    event_id: int,
    wanted: AttendeeFilter,
    zone: str,
) -> Stream:
    """The attendee list as CSV, its moments in ``zone``, counted now and streamed as the
    client reads it; ``db``'s transaction ends here, each batch is read in a short one of its
    own."""
    plan = plan_export(db, event_id, wanted)
    db.commit()
    batches = (attendee_rows(batch) for batch in export_batches(sessions, event_id, wanted, plan))
    return csv_download(
        f"attendees-event-{event_id}.csv", plan.rows, csv_chunks(ATTENDEE_HEADER, batches, zone)
    )
