"""Who came, as the organizer's check-in figures show it after venue servers uploaded their
scans: admitted versus sold, no-shows, per gate, per minute, with conflicts kept and
revoked tickets left out; the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cloud.analytics.attendance import WINDOW_MINUTES, attendance_report
from cloud.analytics.throughput import throughput_report
from cloud.scans.conflicts import detect_conflicts
from shared.messages import Direction
from shared.reasons import Reason
from tests.cloud.analytics.conftest import Shop, at
from tests.cloud.sync.test_scan_upload import scan

DOORS = at("2030-06-01 19:00") * 1000


def _ms(seconds: int) -> int:
    return DOORS + seconds * 1000


@dataclass
class Night:
    ada: str
    bo: str
    cy: str
    dee: str
    guest: str
    refunded: list[str]


@pytest.fixture
def night(shop: Shop) -> Night:
    """Four buyers and a guest; Ada goes in and out, Bo is let in by hand, Cy's ticket is
    admitted at both gates while they could not see each other, Dee never comes; a refunded
    order had been used before its refund."""
    shop.add_type("Standing", price=2500)
    shop.add_type("VIP", price=8000)
    [ada] = shop.tickets(shop.buy(at("2030-05-01 10:00"), buyer="Ada Lovelace", Standing=1))
    [bo] = shop.tickets(shop.buy(at("2030-05-01 10:01"), buyer="Bo Diddley", Standing=1))
    [cy] = shop.tickets(shop.buy(at("2030-05-01 10:02"), buyer="Cy Twombly", Standing=1))
    [dee] = shop.tickets(shop.buy(at("2030-05-01 10:03"), buyer="Dee Dee", Standing=1))
    refunded_order = shop.buy(at("2030-05-01 10:04"), buyer="Ray Refund", Standing=2)
    refunded = shop.tickets(refunded_order)
    [guest] = [t["ticket_id"] for t in shop.comp("VIP", holder="Gus Guest")]
    e = shop.event_id
    shop.upload(
        scan(e, ada, gate="North", device="dN1", wall_ms=_ms(10)),
        scan(e, cy, gate="North", device="dN2", wall_ms=_ms(40)),
        scan(e, refunded[0], gate="North", device="dN1", wall_ms=_ms(50)),
        scan(e, ada, gate="North", device="dN1", wall_ms=_ms(300), reason=Reason.ALREADY_ADMITTED),
        scan(e, ada, gate="North", device="dN1", wall_ms=_ms(1800), reason=Reason.EXITED,
             direction=Direction.EXIT),
        scan(None, None, gate="North", device="dN1", wall_ms=_ms(20), reason=Reason.UNREADABLE),
    )  # fmt: skip
    # South uploads later: it was cut off from North and admitted Cy's ticket again.
    shop.upload(
        scan(e, bo, gate="South", device="dS1", wall_ms=_ms(60), manual=True, note="phone dead",
             staff="Sam"),
        scan(e, cy, gate="South", device="dS1", wall_ms=_ms(120)),
    )  # fmt: skip
    shop.give_up(refunded_order, at("2030-06-01 19:20"), refund=True)
    detect_conflicts(shop.sessions)
    return Night(ada, bo, cy, dee, guest, refunded)


def test_figures_count_people_not_scans(shop: Shop, night: Night) -> None:
    with shop.sessions() as session:
        report = attendance_report(session, shop.event_id, at("2030-06-01 19:40"))
    figures = report.figures
    # Live tickets: four bought and one guest; the refunded pair is neither sold nor absent.
    assert (figures.sold, figures.checked_in, figures.no_shows) == (5, 3, 2)
    # Every admission happened, the refunded ticket's and the conflicting one included.
    assert (figures.admissions, figures.exits, figures.inside) == (5, 1, 4)
    assert (figures.rejected, figures.manual, figures.conflicts) == (1, 1, 1)
    assert figures.last_scan_at is not None
    assert figures.last_scan_at.isoformat() == "2030-06-01T19:30:00+00:00"
    types = {row.name: (row.sold, row.checked_in, row.no_shows) for row in report.types}
    assert types == {"Standing": (4, 3, 1), "VIP": (1, 0, 1)}


def test_each_gate_has_its_own_figures(shop: Shop, night: Night) -> None:
    with shop.sessions() as session:
        report = attendance_report(session, shop.event_id, at("2030-06-01 19:40"))
    gates = {gate.gate: gate for gate in report.gates}
    assert list(gates) == ["North", "South"]
    north, south = gates["North"], gates["South"]
    assert (north.devices, north.admitted, north.exited, north.rejected) == (2, 3, 1, 1)
    assert (south.devices, south.admitted, south.manual, south.conflicts) == (1, 2, 1, 1)
    assert north.conflicts == 0


def test_entries_per_minute_cover_the_last_hour(shop: Shop, night: Night) -> None:
    with shop.sessions() as session:
        live = attendance_report(session, shop.event_id, at("2030-06-01 19:40"))
        # Long after the doors: the hour up to the last scan.
        later = attendance_report(session, shop.event_id, at("2030-06-02 12:00"))
    for report, last in ((live, "19:40"), (later, "19:30")):
        minutes = report.per_minute
        assert len(minutes) == WINDOW_MINUTES
        assert minutes[-1].minute.strftime("%H:%M") == last
        counts = {m.minute.strftime("%H:%M"): (m.admitted, m.exited) for m in minutes}
        assert counts["19:00"] == (3, 0)
        assert counts["19:01"] == (1, 0)
        assert counts["19:02"] == (1, 0)
        assert counts["19:30"] == (0, 1)
        assert sum(m.admitted for m in minutes) == 5


def test_throughput_per_gate_and_minute(shop: Shop, night: Night) -> None:
    with shop.sessions() as session:
        report = throughput_report(session, shop.event_id)
    gates = {gate.gate: gate for gate in report.gates}
    north = gates["North"]
    assert (north.admitted, north.exited, north.rejected, north.active_minutes) == (3, 1, 1, 3)
    assert north.peak_per_minute == 3
    assert north.peak_minute is not None and north.peak_minute.strftime("%H:%M") == "19:00"
    assert north.mean_per_active_minute == 1.0
    south = gates["South"]
    assert (south.admitted, south.peak_per_minute, south.active_minutes) == (2, 1, 2)
    rows = [(m.gate, m.minute.strftime("%H:%M"), m.admitted) for m in report.minutes]
    assert rows == [
        ("North", "19:00", 3),
        ("North", "19:05", 0),
        ("North", "19:30", 0),
        ("South", "19:01", 1),
        ("South", "19:02", 1),
    ]


def test_an_event_without_scans(shop: Shop) -> None:
    shop.add_type("Standing", price=2500)
    shop.buy(at("2030-05-01 10:00"), Standing=2)
    with shop.sessions() as session:
        report = attendance_report(session, shop.event_id, at("2030-05-01 11:00"))
    assert (report.figures.sold, report.figures.checked_in, report.figures.no_shows) == (2, 0, 2)
    assert report.gates == []
    assert report.figures.last_upload_at is None
    assert len(report.per_minute) == WINDOW_MINUTES
    assert report.per_minute[-1].minute.strftime("%H:%M") == "11:00"
