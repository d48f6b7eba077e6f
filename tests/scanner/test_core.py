from __future__ import annotations

import sqlite3
import time

from scanner_app.core import ScannerCore
from shared.clock import Hlc, HybridClock
from shared.messages import ManifestPage, ScanRecord
from shared.reasons import Reason, Severity
from shared.token import ticket_ref
from tests.scanner.gate import DEVICE, Gate, TicketMaker


def rows(gate: Gate) -> list[sqlite3.Row]:
    """The scans table as another process would see it: a fresh connection to the file."""
    conn = sqlite3.connect(gate.store.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM scans ORDER BY hlc").fetchall()
    finally:
        conn.close()


def test_valid_ticket_is_admitted_with_holder_and_type(gate: Gate) -> None:
    token = gate.sell(holder="Grace Hopper")

    verdict = gate.core().scan(token)

    assert verdict.reason is Reason.ADMITTED
    assert verdict.severity is Severity.ADMIT
    assert verdict.info is not None
    assert verdict.info.holder_name == "Grace Hopper"
    assert verdict.info.type_name == "General admission"


def test_scan_record_is_on_disk_when_scan_returns(gate: Gate) -> None:
    token = gate.sell()
    claims_ref = gate.core().scan(token).claims.ticket_ref  # type: ignore[union-attr]

    [row] = rows(gate)
    assert row["reason"] == "admitted"
    assert row["ticket_id"] == claims_ref
    assert row["event_id"] == gate.maker.event_id
    assert row["device_id"] == DEVICE.device_id
    assert row["gate"] == "North"
    assert row["raw"] is None
    assert row["own"] == 1 and row["uploaded"] == 0
    Hlc.parse(row["hlc"])
    assert abs(row["scanned_at_ms"] - time.time() * 1000) < 60_000


def test_second_scan_on_this_device_is_already_admitted_with_when_and_where(gate: Gate) -> None:
    core = gate.core()
    token = gate.sell()
    first = core.scan(token)

    second = core.scan(token)

    assert first.admit
    assert second.reason is Reason.ALREADY_ADMITTED
    assert second.severity is Severity.ATTENTION
    assert second.previous is not None
    assert second.previous.device_id == DEVICE.device_id
    assert second.previous.gate == "North"
    assert [r["reason"] for r in rows(gate)] == ["admitted", "already_admitted"]


def test_ticket_admitted_at_another_gate_is_already_admitted_here(gate: Gate) -> None:
    token = gate.sell()
    core = gate.core()
    ref = core.scan(token).claims.ticket_ref  # type: ignore[union-attr]
    # Pretend we never scanned it: a fresh gate that only learnt of the other gate's scan.
    other = Gate.paired(gate.store.path.parent.parent / "second", gate.maker)
    other.store.add_feed_scans(
        [
            ScanRecord(
                scan_id="0190f2a4-0000-7000-8000-000000000001",
                device_id="dsouth9",
                device_name="South 9",
                gate="South",
                hlc=Hlc(int(time.time() * 1000) - 5000, 0, "dsouth9").encode(),
                scanned_at_ms=int(time.time() * 1000) - 5000,
                reason=Reason.ADMITTED,
                event_id=gate.maker.event_id,
                ticket_id=ref,
            )
        ],
        "feed-1",
    )

    verdict = other.core().scan(token)

    assert verdict.reason is Reason.ALREADY_ADMITTED
    assert verdict.previous is not None
    assert (verdict.previous.gate, verdict.previous.device_name) == ("South", "South 9")
    other.store.close()


def test_forged_ticket_is_red_and_recorded_with_its_ticket_id(gate: Gate) -> None:
    claims = gate.maker.claims()

    verdict = gate.core().scan(gate.maker.forge(claims))

    assert verdict.reason is Reason.FORGED
    assert verdict.severity is Severity.REJECT
    [row] = rows(gate)
    assert row["reason"] == "forged"
    assert row["ticket_id"] == ticket_ref(claims.ticket_id)
    assert row["raw"] is None


def test_garbage_is_red_and_keeps_what_was_read_truncated(gate: Gate) -> None:
    core = gate.core()

    short = core.scan("https://example.com/not-a-ticket")
    long = core.scan("X" * 5000)
    odd = core.scan("\udcff\x00ticket")  # what a confused keyboard wedge may deliver

    assert {short.reason, long.reason, odd.reason} == {Reason.UNREADABLE}
    raws = [r["raw"] for r in rows(gate)]
    assert raws[0] == "https://example.com/not-a-ticket"
    assert raws[1] == "X" * 512
    assert raws[2].endswith("ticket")


def test_revoked_ticket_is_red(gate: Gate) -> None:
    token = gate.sell(revoked=True)

    verdict = gate.core().scan(token)

    assert verdict.reason is Reason.REVOKED
    assert verdict.severity is Severity.REJECT


def test_ticket_sold_after_last_sync_is_admitted_on_its_signature(gate: Gate) -> None:
    verdict = gate.core().scan(gate.maker.token())

    assert verdict.reason is Reason.ADMITTED
    assert verdict.info is None


def test_unknown_key_is_amber_until_a_sync_brings_the_key(gate: Gate) -> None:
    core = gate.core()
    later = TicketMaker(event_id=8, key_id=80)
    token = later.token()

    before = core.scan(token)
    gate.store.apply_manifest_page(
        ManifestPage(
            next_cursor="page-2",
            has_more=False,
            events=[later.event_entry()],
            keys=[later.key_entry()],
        )
    )
    after = core.scan(token)

    assert before.reason is Reason.UNKNOWN_KEY
    assert before.severity is Severity.ATTENTION
    assert after.reason is Reason.ADMITTED


def test_ticket_of_an_event_this_gate_does_not_serve_is_wrong_event(gate: Gate) -> None:
    other = TicketMaker(event_id=9, key_id=90)
    # The venue shares the key (e.g. a sister event) but not the event with this gate.
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor="page-2", has_more=False, keys=[other.key_entry()])
    )

    assert gate.core().scan(other.token()).reason is Reason.WRONG_EVENT


def test_stamps_never_go_back_after_a_restart_with_a_slow_clock(gate: Gate) -> None:
    gate.core().scan(gate.sell())
    [first] = rows(gate)
    slow = HybridClock(DEVICE.device_id, wall=lambda: 1_000)

    ScannerCore(gate.store, slow).scan(gate.sell())

    second = rows(gate)[-1]
    assert Hlc.parse(second["hlc"]) > Hlc.parse(first["hlc"])


def test_scans_with_a_big_manifest_use_index_lookups_only(gate: Gate) -> None:
    from tests.scanner.gate import ticket_entry

    tickets = [ticket_entry(gate.maker.claims(), f"Guest {i}") for i in range(50_000)]
    gate.store.apply_manifest_page(ManifestPage(next_cursor="big", has_more=False, tickets=tickets))
    core = gate.core()
    assert all(core.scan(gate.sell()).admit for _ in range(5))

    # The time a scan takes must not grow with the manifest: every lookup it makes is a
    # search through an index, never a walk over a table. (Speed itself is a benchmark's job.)
    conn = sqlite3.connect(gate.store.path)
    ref = tickets[0].ticket_id
    for sql, params in (
        ("SELECT * FROM tickets WHERE ticket_id = ?", (ref,)),
        ("SELECT * FROM scans WHERE ticket_id = ? AND reason = ?", (ref, "admitted")),
    ):
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert plan.startswith("SEARCH"), plan
    conn.close()
