"""Every query behind the reports can be answered from an index on PostgreSQL.

Each report runs against a small event while the SQL it sends is recorded; every statement
is then explained with sequential scans priced out (``enable_seqscan = off``), and every
read of a sales or scans table must go through an index with a condition. A query that
could only scan a whole table (every event's tickets, say) shows up as a plain scan and
fails here long before an event is large enough to notice. ``docs/analytics.md`` has the
plans and timings for an event of 100,000 tickets (``benchmarks/analytics.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from cloud.analytics.attendance import attendance_report
from cloud.analytics.attendees import AttendeeFilter, attendee_page, export_batches, plan_export
from cloud.analytics.orders import order_page
from cloud.analytics.portfolio import portfolio_report
from cloud.analytics.sales import sales_report
from cloud.analytics.throughput import throughput_report
from cloud.scans.conflicts import detect_conflicts
from cloud.scans.service import event_conflicts
from cloud.venues.gates import gates_by_venue
from tests.cloud.analytics.conftest import Shop, at
from tests.cloud.sync.test_scan_upload import scan

pytestmark = pytest.mark.postgres

# The tables that grow with sales and scans; small lookup tables may be read whole.
GROWING = {
    "tickets",
    "scans",
    "scan_conflicts",
    "orders",
    "order_lines",
    "order_tickets",
    "holds",
    "hold_items",
    "ticket_types",
    "events",
}
INDEXED = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    return postgres_database_url


class Recorder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, *args: Any) -> None:
        _conn, _cursor, statement, parameters, _context, _many = args
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))


@pytest.fixture
def recorder(shop: Shop) -> Iterator[Recorder]:
    engine = shop.sessions.kw["bind"]
    record = Recorder(engine)
    event.listen(engine, "before_cursor_execute", record)
    yield record
    event.remove(engine, "before_cursor_execute", record)


def _unindexed(plan: dict[str, Any]) -> list[str]:
    """Reads of growing tables that do not go through an index condition."""
    found = []
    relation = plan.get("Relation Name")
    if relation in GROWING:
        kind = plan["Node Type"]
        conditioned = "Index Cond" in plan or (
            kind == "Bitmap Heap Scan"
            and any("Index Cond" in child for child in plan.get("Plans", []))
        )
        if kind not in INDEXED or not conditioned:
            found.append(f"{kind} on {relation}")
    for child in plan.get("Plans", []):
        found += _unindexed(child)
    return found


def test_every_report_query_reads_through_an_index(shop: Shop, recorder: Recorder) -> None:
    shop.add_type("Standing", price=2500)
    shop.add_type("VIP", price=8000)
    reference = shop.buy(at("2030-05-01 10:00"), buyer="Ada Lovelace", Standing=2, VIP=1)
    shop.buy(at("2030-05-01 11:00"), buyer="Bo Diddley", Standing=1)
    shop.give_up(shop.buy(at("2030-05-01 12:00"), Standing=1), at("2030-05-02 09:00"), refund=True)
    shop.hold(at("2030-05-03 10:00"), Standing=1)
    shop.comp("VIP")
    first, *_ = shop.tickets(reference)
    shop.upload(
        scan(shop.event_id, first, gate="North", device="dN"),
        scan(shop.event_id, first, gate="South", device="dS", wall_ms=1_900_000_001_000),
    )
    detect_conflicts(shop.sessions)
    org_id = shop.organizer_org()
    recorder.statements.clear()

    now = at("2030-05-03 10:01")
    with shop.sessions() as session:
        sales_report(session, shop.event_id, now)
        attendance_report(session, shop.event_id, now)
        throughput_report(session, shop.event_id)
        searched = AttendeeFilter(query="ada", checked_in=True)
        attendee_page(session, shop.event_id, searched, offset=0, limit=50)
        attendee_page(session, shop.event_id, AttendeeFilter(checked_in=False), offset=0, limit=5)
        plan = plan_export(session, shop.event_id, AttendeeFilter())
        order_page(session, shop.event_id, query="bo", status="paid")
        portfolio_report(session, org_id)
        gates_by_venue(session, [shop.venue_id])
        event_conflicts(session, org_id, shop.event_id)
    list(export_batches(shop.sessions, shop.event_id, AttendeeFilter(), plan, batch=2))
    assert len(recorder.statements) > 25

    problems = []
    with recorder.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in recorder.statements:
            [[explained]] = conn.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            ).all()
            for scan_node in _unindexed(explained[0]["Plan"]):
                problems.append(f"{scan_node}: {' '.join(statement.split())[:200]}")
    assert problems == []
