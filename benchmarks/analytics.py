"""The organizer's reports on a large event: query plans and timings on PostgreSQL.

A temporary PostgreSQL database at 127.0.0.1:5432 (user postgres, dropped afterwards) gets
the cloud's schema and, through plain SQL, one large event (100,000 tickets in 50,000 orders
paid over 60 days, 3 % refunded, 85 % of the tickets admitted at 8 gates over two hours,
rejections, exits and conflicts) next to another organisation's 20 events of 10,000 tickets
each at another venue, so that every report has to pick its rows out of 300,000 tickets and
about 260,000 scans. Then each
report the pages and the JSON API serve runs as they run it (the same functions), while the
SQL it sends is recorded and explained with ``EXPLAIN (ANALYZE, BUFFERS)``.

Printed per report: how many statements, the median wall time of the whole report over a
few runs, the slowest statement's execution time, and how each growing table was read (a
"Seq Scan" would mean the whole table, every event's rows). Then the attendee CSV export of
the whole event: rows per second and the peak Python memory while streaming it, next to the
memory the rows take when all built at once (what the batched export avoids).

Run from the repository root::

    .venv/bin/python benchmarks/analytics.py --quick   # 20,000 tickets in the large event
    .venv/bin/python benchmarks/analytics.py           # 100,000

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

PG = "host=127.0.0.1 port=5432 user=postgres"
GROWING = {"tickets", "scans", "scan_conflicts", "orders", "order_lines", "order_tickets",
           "holds", "hold_items", "ticket_types", "events"}  # fmt: skip
NOISE_EVENTS = 20
NOISE_TICKETS = 10_000
DAY = 86_400
SALE_START = 1_900_000_000  # 2030-03-17
DOORS = SALE_START + 60 * DAY


def setup_event(
    session: Session, org_id: int, venue_id: int, name: str, types: int
) -> tuple[int, list[int]]:
    from datetime import UTC, datetime

    from cloud.events import service

    start = datetime.fromtimestamp(DOORS, UTC)
    end = datetime.fromtimestamp(DOORS + 5 * 3600, UTC)
    event_row, _ = service.create_event(
        session, org_id, secrets.token_bytes(32), name=name, venue_id=venue_id,
        starts_at=start, ends_at=end, published=True,
    )  # fmt: skip
    type_ids = [
        service.add_ticket_type(
            session, org_id, event_row.id, f"Type {n}", 1_000_000,
            terms=service.SaleTerms(price=2500 + 1000 * n),
        ).id
        for n in range(types)
    ]  # fmt: skip
    return event_row.id, type_ids


SEED = """
-- tickets first_ticket .. first_ticket + n - 1, two per order, orders first_order ..
INSERT INTO holds (id, token_hash, event_id, buyer_email, buyer_name, state, created_at,
                   expires_at, voucher_uses, discount)
SELECT %(o0)s + i, md5('h' || (%(o0)s + i)) || md5('x' || (%(o0)s + i)), %(event)s,
       'buyer' || i || '@example.org', 'Buyer ' || i, 'checked_out', %(start)s + i * %(step)s,
       %(start)s + i * %(step)s + 600, 0, 0
FROM generate_series(0, %(orders)s - 1) AS i;

INSERT INTO orders (id, reference, token_hash, event_id, hold_id, buyer_email, buyer_name,
                    status, total, currency, payment_provider, created_at, paid_at, cancelled_at)
SELECT %(o0)s + i, upper(substr(md5('r' || (%(o0)s + i)), 1, 10)),
       md5('h' || (%(o0)s + i)) || md5('x' || (%(o0)s + i)), %(event)s, %(o0)s + i,
       'buyer' || i || '@example.org', 'Buyer ' || i,
       CASE WHEN i %% 33 = 0 THEN 'refunded' ELSE 'paid' END,
       2 * (2500 + 1000 * (i %% %(ntypes)s)), 'EUR', 'local',
       %(start)s + i * %(step)s, %(start)s + i * %(step)s + 30,
       CASE WHEN i %% 33 = 0 THEN %(start)s + i * %(step)s + 86400 END
FROM generate_series(0, %(orders)s - 1) AS i;

INSERT INTO order_lines (order_id, type_id, quantity, unit_price)
SELECT %(o0)s + i, (%(types)s)[1 + i %% %(ntypes)s], 2, 2500 + 1000 * (i %% %(ntypes)s)
FROM generate_series(0, %(orders)s - 1) AS i;

INSERT INTO tickets (id, ticket_ref, event_id, type_id, key_id, holder_name, holder_email,
                     order_ref, token, issued_at, revoked, seq)
SELECT %(t0)s + j, upper(substr(md5('t' || (%(t0)s + j)), 1, 20)), %(event)s,
       (%(types)s)[1 + (j / 2) %% %(ntypes)s], %(key)s, 'Holder ' || j,
       'holder' || j || '@example.org', upper(substr(md5('r' || (%(o0)s + j / 2)), 1, 10)),
       'token', %(start)s + (j / 2) * %(step)s + 30, (j / 2) %% 33 = 0, j + 1
FROM generate_series(0, 2 * %(orders)s - 1) AS j;

INSERT INTO order_tickets (order_id, ticket_id)
SELECT %(o0)s + j / 2, %(t0)s + j FROM generate_series(0, 2 * %(orders)s - 1) AS j;

-- 85 %% of the valid tickets come, over two hours, at 8 gates with 3 scanners each.
INSERT INTO scans (scan_id, venue_id, event_id, ticket_ref, device_id, device_name, gate, hlc,
                   scanned_at_ms, reason, direction, zone, manual, staff, received_at)
SELECT md5('s' || (%(t0)s + j))::uuid::text, %(venue)s, %(event)s,
       upper(substr(md5('t' || (%(t0)s + j)), 1, 20)), 'd' || (j %% 24), 'Scanner ' || (j %% 24),
       'Gate ' || (j %% 8),
       lpad(((%(doors)s + j %% 7200) * 1000::bigint)::text, 15, '0') || '-00000-d' || (j %% 24),
       (%(doors)s + j %% 7200) * 1000::bigint, 'admitted', 'entry', '', j %% 50 = 0, '',
       %(doors)s + j %% 7200 + 5
FROM generate_series(0, 2 * %(orders)s - 1) AS j
WHERE j %% 100 < 85 AND (j / 2) %% 33 <> 0;

-- Repeat scans refused, and exits.
INSERT INTO scans (scan_id, venue_id, event_id, ticket_ref, device_id, device_name, gate, hlc,
                   scanned_at_ms, reason, direction, zone, manual, staff, received_at)
SELECT md5('r' || (%(t0)s + j))::uuid::text, %(venue)s, %(event)s,
       upper(substr(md5('t' || (%(t0)s + j)), 1, 20)), 'd' || (j %% 24), 'Scanner ' || (j %% 24),
       'Gate ' || (j %% 8),
       lpad(((%(doors)s + 7200 + j %% 3600) * 1000::bigint)::text, 15, '0')
           || '-00000-d' || (j %% 24),
       (%(doors)s + 7200 + j %% 3600) * 1000::bigint,
       CASE WHEN j %% 40 = 0 THEN 'already_admitted' ELSE 'exited' END,
       CASE WHEN j %% 40 = 0 THEN 'entry' ELSE 'exit' END, '', false, '',
       %(doors)s + 7200 + j %% 3600 + 5
FROM generate_series(0, 2 * %(orders)s - 1) AS j
WHERE j %% 100 < 85 AND (j / 2) %% 33 <> 0 AND j %% 20 = 0;
"""


def seed(database_url: str, big: int, others: int = NOISE_EVENTS) -> dict[str, Any]:
    from cloud.db import make_engine, make_session_factory
    from cloud.migrate import upgrade
    from cloud.orgs.service import create_organisation
    from cloud.users.models import User
    from cloud.venues.service import register_venue

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        user = User(email="org@example.org", name="Org", password_hash="x", created_at=0)
        session.add(user)
        session.commit()
        org = create_organisation(session, user.id, "Big Concerts", 0)
        venue, _ = register_venue(session, org.id, "Arena")
        events = [(*setup_event(session, org.id, venue.id, "The Big One", 3), venue.id)]
        # Another promoter's nights at another venue, which every report has to leave out.
        other = create_organisation(session, user.id, "Club Nights", 0)
        club, _ = register_venue(session, other.id, "Club")
        for n in range(others):
            events.append((*setup_event(session, other.id, club.id, f"Night {n}", 1), club.id))
        keys = {
            row[0]: row[1] for row in session.execute(text("SELECT event_id, id FROM signing_keys"))
        }
    engine.dispose()
    started = time.perf_counter()
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        first_ticket, first_order = 1, 1
        for index, (event_id, type_ids, venue_id) in enumerate(events):
            tickets = big if index == 0 else NOISE_TICKETS
            orders = tickets // 2
            params = {
                    "event": event_id, "types": type_ids, "ntypes": len(type_ids),
                    "key": keys[event_id], "venue": venue_id, "o0": first_order,
                    "t0": first_ticket, "orders": orders, "start": SALE_START,
                    "step": 60 * DAY // orders, "doors": DOORS + index * DAY,
                }  # fmt: skip
            for statement in SEED.split(";\n\n"):
                conn.execute(statement, params)
            # Stock counters as the sale left them.
            conn.execute(
                "UPDATE ticket_types t SET sold = (SELECT count(*) FROM tickets "
                "WHERE type_id = t.id AND NOT revoked) WHERE event_id = %s",
                (event_id,),
            )
            first_ticket += 2 * orders
            first_order += orders
        big_event = events[0][0]
        # Conflicts: 200 admissions flagged against an earlier one at another gate.
        conn.execute(
            """INSERT INTO scans (scan_id, venue_id, event_id, ticket_ref, device_id, device_name,
                   gate, hlc, scanned_at_ms, reason, direction, zone, manual, staff, received_at)
               SELECT md5('c' || scan_id)::uuid::text, venue_id, event_id, ticket_ref, 'd99',
                   'Scanner 99', 'Gate 9', hlc || 'x', scanned_at_ms + 1000, 'admitted', 'entry',
                   '', false, '', received_at + 60
               FROM scans WHERE event_id = %s AND reason = 'admitted' ORDER BY scan_id LIMIT 200""",
            (big_event,),
        )
        conn.execute(
            """INSERT INTO scan_conflicts
                   (scan_id, winner_scan_id, event_id, ticket_ref, detected_at)
               SELECT l.scan_id, w.scan_id, l.event_id, l.ticket_ref, l.received_at + 10
               FROM scans l JOIN scans w ON w.event_id = l.event_id
                   AND w.ticket_ref = l.ticket_ref AND w.device_id <> 'd99'
                   AND w.reason = 'admitted'
               WHERE l.device_id = 'd99' AND l.event_id = %s""",
            (big_event,),
        )
        for table in ("holds", "orders", "order_lines", "order_tickets", "tickets", "scans",
                      "scan_conflicts", "ticket_types", "events"):  # fmt: skip
            conn.execute(f"VACUUM ANALYZE {table}")
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("tickets", "orders", "scans", "scan_conflicts")
        }
    return {
        "org_id": org.id,
        "venue_id": venue.id,
        "event_id": big_event,
        "counts": counts,
        "seed_s": round(time.perf_counter() - started, 1),
    }


class Recorder:
    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, *args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))


def _reads(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Relation Name") in GROWING:
        index = plan.get("Index Name") or ""
        if plan["Node Type"] == "Bitmap Heap Scan":
            index = next((c.get("Index Name", "") for c in plan.get("Plans", [])), "")
        found.append(
            f"{plan['Node Type']} on {plan['Relation Name']}" + (f" ({index})" if index else "")
        )
    for child in plan.get("Plans", []):
        found += _reads(child)
    return found


def measure(
    engine: Engine, name: str, run: Callable[[Session], object], repeats: int
) -> dict[str, Any]:
    from sqlalchemy.orm import Session as OrmSession

    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder)
    try:
        with OrmSession(engine) as session:
            run(session)
    finally:
        event.remove(engine, "before_cursor_execute", recorder)
    times = []
    for _ in range(repeats):
        with OrmSession(engine) as session:
            started = time.perf_counter()
            run(session)
            times.append((time.perf_counter() - started) * 1000)
    slowest, reads = 0.0, set()
    with engine.connect() as conn:
        for statement, parameters in recorder.statements:
            [[plan]] = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
            ).all()
            slowest = max(slowest, plan[0]["Execution Time"])
            reads.update(_reads(plan[0]["Plan"]))
    result = {
        "report": name,
        "statements": len(recorder.statements),
        "median_ms": round(statistics.median(times), 1),
        "slowest_statement_ms": round(slowest, 1),
        "seq_scans": sorted(r for r in reads if r.startswith("Seq Scan")),
        "reads": sorted(reads),
    }
    print(
        f"{name:<34} {result['statements']:>3} statements  {result['median_ms']:>8.1f} ms "
        f"(slowest statement {result['slowest_statement_ms']:.1f} ms)"
    )
    for read in result["reads"]:
        print(f"{'':<38}{read}")
    return result


def _export(sessions: Any, event_id: int, wanted: Any, plan: Any) -> Iterator[bytes]:
    from cloud.analytics.attendees import export_batches
    from cloud.analytics.csv_export import csv_chunks
    from cloud.analytics.tables import ATTENDEE_HEADER, attendee_rows

    batches = (attendee_rows(b) for b in export_batches(sessions, event_id, wanted, plan))
    return csv_chunks(ATTENDEE_HEADER, batches)


def export_figures(engine: Engine, event_id: int) -> dict[str, Any]:
    from cloud.analytics.attendees import AttendeeFilter, export_batches, plan_export
    from cloud.db import make_session_factory

    sessions = make_session_factory(engine)
    wanted = AttendeeFilter(revoked=None)
    with sessions() as session:
        plan = plan_export(session, event_id, wanted)
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in _export(sessions, event_id, wanted, plan))
    seconds = time.perf_counter() - started
    # Memory measured on a second run: tracing slows Python down several times.
    tracemalloc.start()
    for _chunk in _export(sessions, event_id, wanted, plan):
        pass
    _, streamed_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # The same rows built at once (one batch of everything), for comparison: what the
    # batched export avoids.
    tracemalloc.start()
    everything = list(export_batches(sessions, event_id, wanted, plan, batch=plan.rows))
    _, whole_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del everything
    figures = {
        "export_rows": plan.rows,
        "export_mb": round(size / 1e6, 1),
        "export_rows_per_s": round(plan.rows / seconds),
        "export_peak_mb": round(streamed_peak / 1e6, 1),
        "all_at_once_peak_mb": round(whole_peak / 1e6, 1),
    }
    print(
        f"CSV export: {plan.rows} rows, {figures['export_mb']} MB in {seconds:.1f} s "
        f"({figures['export_rows_per_s']} rows/s); peak memory {figures['export_peak_mb']} MB "
        f"streamed, {figures['all_at_once_peak_mb']} MB with every row built at once"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 tickets instead of 100,000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--other-events",
        type=int,
        default=NOISE_EVENTS,
        help="the other organisation's events of 10,000 tickets each (default 20)",
    )
    args = parser.parse_args()
    big = 20_000 if args.quick else 100_000

    from cloud.analytics.attendance import attendance_report
    from cloud.analytics.attendees import AttendeeFilter, attendee_page
    from cloud.analytics.orders import order_page
    from cloud.analytics.portfolio import portfolio_report
    from cloud.analytics.sales import sales_report
    from cloud.analytics.throughput import throughput_report
    from cloud.db import make_engine
    from cloud.venues.gates import gates_by_venue

    name = f"bilten_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        seeded = seed(url, big, args.other_events)
        print(f"seeded in {seeded['seed_s']} s: {seeded['counts']}")
        engine = make_engine(url)
        e, org, venue = seeded["event_id"], seeded["org_id"], seeded["venue_id"]
        now = DOORS + 3 * 3600
        everyone, absent = AttendeeFilter(), AttendeeFilter(checked_in=False)
        named = AttendeeFilter(query="holder 4242")

        def attendees(wanted: AttendeeFilter, offset: int) -> Callable[[Session], object]:
            return lambda s: attendee_page(s, e, wanted, offset=offset, limit=50)

        reports: list[tuple[str, Callable[[Session], object]]] = [
            ("sales (by day)", lambda s: sales_report(s, e, now)),
            ("attendance (check-in page)", lambda s: attendance_report(s, e, now)),
            ("gate throughput", lambda s: throughput_report(s, e)),
            ("attendees, first page", attendees(everyone, 0)),
            ("attendees, page 1000", attendees(everyone, 49_950)),
            ("attendees, name search", attendees(named, 0)),
            ("attendees, not checked in", attendees(absent, 0)),
            ("orders, reference search", lambda s: order_page(s, e, query="ABCDEF0123")),
            ("organisation's events", lambda s: portfolio_report(s, org)),
            ("venue gates", lambda s: gates_by_venue(s, [venue])),
        ]
        results = [measure(engine, label, run, args.repeats) for label, run in reports]
        figures = export_figures(engine, e)
        engine.dispose()
    finally:
        with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps({"tickets_in_event": big, **seeded["counts"], "reports": results, **figures}))


if __name__ == "__main__":
    main()
