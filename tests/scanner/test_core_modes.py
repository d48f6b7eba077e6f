"""Gate modes, attendee search, manual admission, gate settings and device stats of the
scanner core, on a real store with real signed tickets."""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from scanner_app.core import ManualAdmitRefused, ScannerCore
from scanner_app.errors import ScannerError
from scanner_app.store import GateSettings, Store
from shared.clock import Hlc, HybridClock
from shared.messages import Direction, ManifestPage, ScanRecord, TicketEntry
from shared.reasons import Reason, Severity
from shared.token import ticket_ref
from tests.scanner.gate import DEVICE, Gate, TicketMaker


def sell(
    gate: Gate,
    holder: str = "Ada Lovelace",
    *,
    email: str = "",
    order: str = "",
    type_id: int = 1,
    type_name: str = "General admission",
    max_entries: int = 1,
    reentry: bool = False,
    revoked: bool = False,
    valid_from: int | None = None,
    valid_until: int | None = None,
) -> tuple[str, TicketEntry]:
    """A ticket the gate's manifest knows, with everything the cloud may say about it; returns
    its QR text and its manifest entry."""
    window = {
        name: value
        for name, value in (("valid_from", valid_from), ("valid_until", valid_until))
        if value is not None
    }
    claims = gate.maker.claims(type_id=type_id, **window)
    entry = TicketEntry(
        ticket_id=ticket_ref(claims.ticket_id),
        event_id=claims.event_id,
        type_id=type_id,
        type_name=type_name,
        holder_name=holder,
        holder_email=email,
        order_ref=order,
        revoked=revoked,
        max_entries=max_entries,
        reentry=reentry,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor=f"after-{entry.ticket_id}", has_more=False, tickets=[entry])
    )
    return gate.maker.token(claims), entry


def at(device: Gate, /, direction: Direction = Direction.ENTRY, **fields: object) -> ScannerCore:
    """A core for this device, set up by staff as given (``gate=`` names the gate)."""
    core = device.core()
    core.configure(replace(core.settings, direction=direction, **fields))  # type: ignore[arg-type]
    return core


def relayed_admission(ref: str, event_id: int, *, gate: str, device: str, ms: int) -> ScanRecord:
    """An admission another gate made, as the venue relays it."""
    device_id = device.replace(" ", "").lower()
    return ScanRecord(
        scan_id=f"0190f2a4-0000-7000-8000-{secrets.token_hex(6)}",
        device_id=device_id,
        device_name=device,
        gate=gate,
        hlc=Hlc(ms, 0, device_id).encode(),
        scanned_at_ms=ms,
        reason=Reason.ADMITTED,
        event_id=event_id,
        ticket_id=ref,
    )


def own_scans(gate: Gate) -> list[sqlite3.Row]:
    """This device's scans as another process reads them from the file."""
    conn = sqlite3.connect(gate.store.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM scans WHERE own = 1 ORDER BY hlc").fetchall()
    finally:
        conn.close()


# -- exit gates and re-entry ----------------------------------------------------------------


def test_exit_gate_lets_the_holder_out_and_records_an_exit(gate: Gate) -> None:
    token, entry = sell(gate)
    assert gate.core().scan(token).admit

    verdict = at(gate, Direction.EXIT).scan(token)

    assert verdict.reason is Reason.EXITED
    assert verdict.severity is Severity.ADMIT
    last = own_scans(gate)[-1]
    assert (last["reason"], last["direction"], last["ticket_id"]) == (
        "exited",
        "exit",
        entry.ticket_id,
    )


def test_revoked_ticket_may_still_leave_through_an_exit_gate(gate: Gate) -> None:
    token, _ = sell(gate, revoked=True)

    assert at(gate, Direction.EXIT).scan(token).reason is Reason.EXITED


def test_ticket_with_reentry_comes_back_in_after_leaving(gate: Gate) -> None:
    token, _ = sell(gate, reentry=True)
    entry_gate = gate.core()
    assert entry_gate.scan(token).admit
    at(gate, Direction.EXIT).scan(token)

    back = at(gate, Direction.ENTRY).scan(token)

    assert back.reason is Reason.ADMITTED
    assert back.reentry


def test_single_entry_ticket_without_reentry_is_refused_after_leaving(gate: Gate) -> None:
    token, _ = sell(gate)
    assert gate.core().scan(token).admit
    at(gate, Direction.EXIT).scan(token)

    back = at(gate, Direction.ENTRY).scan(token)

    assert back.reason is Reason.ALREADY_ADMITTED


def test_three_entry_ticket_is_admitted_three_times_then_names_the_last_admission(
    gate: Gate,
) -> None:
    token, entry = sell(gate, max_entries=3)
    core = at(gate, gate="East")
    assert [core.scan(token).entries for _ in range(2)] == [1, 2]
    # The third entry happens at another gate, and this one hears of it from the venue.
    third_ms = int(time.time() * 1000) + 1000
    gate.store.add_feed_scans(
        [
            relayed_admission(
                entry.ticket_id, entry.event_id, gate="South", device="South 9", ms=third_ms
            )
        ],
        "feed-1",
    )

    fourth = core.scan(token)

    assert fourth.reason is Reason.ALREADY_ADMITTED
    assert fourth.entries == 3
    assert fourth.previous is not None
    assert (fourth.previous.gate, fourth.previous.device_name) == ("South", "South 9")
    assert fourth.previous.scanned_at_ms == third_ms


def test_three_entry_ticket_names_this_gate_when_it_made_the_last_entry(gate: Gate) -> None:
    token, _ = sell(gate, max_entries=3)
    at(gate, gate="East").scan(token)
    at(gate, gate="East").scan(token)
    west = at(gate, gate="West")
    assert west.scan(token).admit

    fourth = west.scan(token)

    assert fourth.reason is Reason.ALREADY_ADMITTED
    assert fourth.previous is not None
    assert (fourth.previous.gate, fourth.previous.device_name) == ("West", DEVICE.device_name)


# -- gate ticket types and validity windows -------------------------------------------------


def test_ticket_type_not_admitted_at_this_gate_is_wrong_gate(gate: Gate) -> None:
    standing, _ = sell(gate, type_id=1, type_name="Standing")
    vip, _ = sell(gate, type_id=2, type_name="VIP")
    core = at(gate, type_ids=frozenset({2}))

    refused = core.scan(standing)

    assert refused.reason is Reason.WRONG_GATE
    assert refused.severity is Severity.ATTENTION
    assert core.scan(vip).admit


def test_ticket_before_its_window_is_not_yet_valid_and_after_it_expired(gate: Gate) -> None:
    now = int(time.time())
    early, _ = sell(gate, valid_from=now + 3600, valid_until=now + 7200)
    late, _ = sell(gate, valid_from=now - 7200, valid_until=now - 3600)
    core = gate.core()

    too_early = core.scan(early)
    too_late = core.scan(late)

    assert (too_early.reason, too_early.severity) == (Reason.NOT_YET_VALID, Severity.ATTENTION)
    assert (too_late.reason, too_late.severity) == (Reason.EXPIRED, Severity.REJECT)


def test_window_is_judged_at_the_scan_time(gate: Gate) -> None:
    now = int(time.time())
    token, _ = sell(gate, valid_from=now + 3600, valid_until=now + 7200)

    later = ScannerCore(gate.store, gate.clock, now=lambda: now + 3700)

    assert later.scan(token).admit


# -- attendee search ------------------------------------------------------------------------


def found(core: ScannerCore, text: str) -> list[str]:
    return [a.ticket.holder_name for a in core.search(text)]


def test_search_finds_by_name_fragment_email_order_and_ticket_id_prefix(gate: Gate) -> None:
    sell(gate, "Ada Lovelace", email="ada@example.org", order="B-1042")
    _, grace = sell(gate, "Grace Hopper", email="grace@navy.example", order="B-2001")
    sell(gate, "Alan Turing", email="alan@example.org", order="C-7")
    core = gate.core()

    assert found(core, "lovel") == ["Ada Lovelace"]
    assert found(core, "ada lov") == ["Ada Lovelace"]
    assert found(core, "grace@navy") == ["Grace Hopper"]
    assert found(core, "B-2001") == ["Grace Hopper"]
    assert sorted(found(core, "example.org")) == ["Ada Lovelace", "Alan Turing"]
    assert found(core, grace.ticket_id[:6].lower()) == ["Grace Hopper"]
    assert found(core, grace.ticket_id) == ["Grace Hopper"]


def test_search_ignores_accents_both_ways(gate: Gate) -> None:
    sell(gate, "Zoë Brontë")
    sell(gate, "Zoe Bronte")
    core = gate.core()

    assert len(core.search("Zoe")) == 2
    assert len(core.search("zoë bronte")) == 2


def test_search_finds_a_name_with_sharp_s_typed_as_written(gate: Gate) -> None:
    sell(gate, "Johann Strauß")
    core = gate.core()

    assert found(core, "Johann") == ["Johann Strauß"]
    assert found(core, "Strauß") == ["Johann Strauß"]


def test_search_with_nothing_to_look_for_finds_nothing(gate: Gate) -> None:
    sell(gate, "Ada Lovelace")
    core = gate.core()

    assert core.search("") == []
    assert core.search('  "*-  ') == []
    assert core.search("nobody") == []


def test_search_hit_says_what_this_gate_would_do_and_what_happened_before(gate: Gate) -> None:
    token, _ = sell(gate, "Ada Lovelace")
    sell(gate, "Ada Byron", revoked=True)
    core = gate.core()
    core.scan(token)

    hits = {a.ticket.holder_name: a for a in core.search("ada")}

    admitted = hits["Ada Lovelace"]
    assert admitted.verdict.reason is Reason.ALREADY_ADMITTED
    assert admitted.presence.inside and admitted.presence.entries == 1
    assert admitted.presence.last is not None and admitted.presence.last.gate == "North"
    assert hits["Ada Byron"].verdict.reason is Reason.REVOKED
    assert hits["Ada Byron"].presence.entries == 0


# -- manual admission -----------------------------------------------------------------------


def test_manual_admission_is_recorded_as_manual_with_reason_and_staff(gate: Gate) -> None:
    _, entry = sell(gate, "Grace Hopper")
    core = at(gate, staff="Kim")

    verdict = core.admit_manually(entry.ticket_id, "  phone battery dead, ID checked ")

    assert verdict.reason is Reason.ADMITTED
    [row] = own_scans(gate)
    assert row["reason"] == "admitted"
    assert row["ticket_id"] == entry.ticket_id
    assert row["event_id"] == entry.event_id
    assert row["manual"] == 1
    assert row["note"] == "phone battery dead, ID checked"
    assert row["staff"] == "Kim"
    assert row["raw"] is None


def test_manual_admission_counts_as_an_entry_for_the_next_scan(gate: Gate) -> None:
    token, entry = sell(gate)
    core = gate.core()
    core.admit_manually(entry.ticket_id, "printout torn")

    assert core.scan(token).reason is Reason.ALREADY_ADMITTED


def test_manual_admission_becomes_the_latest_scan(gate: Gate) -> None:
    _, entry = sell(gate)
    core = gate.core()

    core.admit_manually(entry.ticket_id, "phone battery dead")

    assert core.last_scan is not None
    assert core.last_scan.manual
    assert core.last_scan.ticket_id == entry.ticket_id


def test_manual_admission_needs_a_reason(gate: Gate) -> None:
    _, entry = sell(gate)
    core = gate.core()

    with pytest.raises(ScannerError, match="reason"):
        core.admit_manually(entry.ticket_id, "   ")
    assert own_scans(gate) == []


def test_already_admitted_ticket_needs_an_explicit_overrule(gate: Gate) -> None:
    token, entry = sell(gate)
    core = gate.core()
    core.scan(token)

    with pytest.raises(ManualAdmitRefused) as refused:
        core.admit_manually(entry.ticket_id, "says friend has the ticket")
    assert refused.value.verdict.reason is Reason.ALREADY_ADMITTED
    assert refused.value.verdict.previous is not None
    assert refused.value.verdict.previous.gate == "North"
    assert len(own_scans(gate)) == 1

    verdict = core.admit_manually(entry.ticket_id, "left for a smoke, stamp checked", overrule=True)

    assert verdict.reason is Reason.ADMITTED
    last = own_scans(gate)[-1]
    assert (last["reason"], last["manual"], last["note"]) == (
        "admitted",
        1,
        "left for a smoke, stamp checked",
    )


def test_wrong_gate_can_be_overruled_by_staff(gate: Gate) -> None:
    _, entry = sell(gate, type_id=1, type_name="Standing")
    core = at(gate, type_ids=frozenset({2}))

    with pytest.raises(ManualAdmitRefused) as refused:
        core.admit_manually(entry.ticket_id, "VIP desk sent them")
    assert refused.value.verdict.reason is Reason.WRONG_GATE

    assert core.admit_manually(entry.ticket_id, "VIP desk sent them", overrule=True).admit


@pytest.mark.parametrize("overrule", [False, True])
def test_revoked_ticket_cannot_be_admitted_by_hand(gate: Gate, overrule: bool) -> None:
    _, entry = sell(gate, revoked=True)
    core = gate.core()

    with pytest.raises(ManualAdmitRefused) as refused:
        core.admit_manually(entry.ticket_id, "insists it was paid", overrule=overrule)

    assert refused.value.verdict.reason is Reason.REVOKED
    assert refused.value.verdict.severity is Severity.REJECT
    assert own_scans(gate) == []


def test_expired_ticket_cannot_be_admitted_by_hand(gate: Gate) -> None:
    now = int(time.time())
    _, entry = sell(gate, valid_from=now - 7200, valid_until=now - 3600)

    with pytest.raises(ManualAdmitRefused) as refused:
        gate.core().admit_manually(entry.ticket_id, "came late", overrule=True)

    assert refused.value.verdict.reason is Reason.EXPIRED


def test_manual_let_out_at_an_exit_gate_records_an_exit(gate: Gate) -> None:
    token, entry = sell(gate, revoked=True)
    gate.core().scan(token)  # refused at the entry; nobody is held inside either way

    verdict = at(gate, Direction.EXIT).admit_manually(entry.ticket_id, "feeling unwell")

    assert verdict.reason is Reason.EXITED
    last = own_scans(gate)[-1]
    assert (last["reason"], last["direction"], last["manual"]) == ("exited", "exit", 1)


def test_manual_admission_of_a_ticket_not_in_the_list_is_an_error(gate: Gate) -> None:
    with pytest.raises(ScannerError, match="not in this gate's list"):
        gate.core().admit_manually("A" * 20, "trust me")


# -- settings -------------------------------------------------------------------------------


def test_gate_settings_survive_a_restart(gate: Gate, maker: TicketMaker) -> None:
    settings = GateSettings(
        gate="VIP door",
        direction=Direction.EXIT,
        zone="Balcony",
        type_ids=frozenset({2, 3}),
        staff="Kim",
        hold_seconds=1.5,
        verdict_seconds=4.0,
        sound=False,
        language="de",
        kiosk_pin="scrypt$c2FsdA==$ZGlnZXN0",
    )
    gate.core().configure(settings)
    path = gate.store.path
    gate.store.close()

    gate.store = Store(path)
    core = gate.core()

    assert core.settings == settings
    assert core.gate == "VIP door"
    assert core.policy.direction is Direction.EXIT
    assert core.policy.type_ids == frozenset({2, 3})


def test_a_fresh_gate_uses_the_gate_given_at_pairing(gate: Gate) -> None:
    core = gate.core()

    assert core.settings == GateSettings()
    assert core.gate == DEVICE.gate
    core.configure(replace(core.settings, gate="Side door"))
    assert core.gate == "Side door"


def test_scans_carry_the_gate_zone_and_staff_set_up_by_staff(gate: Gate) -> None:
    token, _ = sell(gate)

    at(gate, gate="Side door", zone="Balcony", staff="Kim").scan(token)

    [row] = own_scans(gate)
    assert (row["gate"], row["zone"], row["staff"], row["manual"]) == (
        "Side door",
        "Balcony",
        "Kim",
        0,
    )


# -- stats ----------------------------------------------------------------------------------


def local_noon_plus(seconds: float) -> float:
    """Today at 12:00:00 local time, plus ``seconds``: far from midnight either way."""
    today = time.localtime()
    return time.mktime((*today[:3], 12, 0, 0, 0, 0, -1)) + seconds


def test_stats_count_todays_verdicts_and_scans_per_minute(gate: Gate) -> None:
    now = [local_noon_plus(30)]  # 12:00:30

    def clock() -> float:
        return now[0]

    core = ScannerCore(gate.store, gate.clock, now=clock)
    first, _ = sell(gate, "Ada")
    second, _ = sell(gate, "Grace")
    yesterday, _ = sell(gate, "Alan")

    now[0] = local_noon_plus(30 - 86_400)
    core.scan(yesterday)
    now[0] = local_noon_plus(-150)  # 11:57:30
    core.scan(first)
    now[0] = local_noon_plus(-30)  # 11:59:30
    core.scan("not a ticket")
    core.scan(first)
    now[0] = local_noon_plus(30)  # 12:00:30
    core.configure(replace(core.settings, direction=Direction.EXIT))
    core.scan(second)

    stats = core.stats(minutes=5)

    assert (stats.admitted, stats.rejected, stats.attention, stats.exits) == (1, 1, 1, 1)
    assert stats.per_minute == (0, 1, 0, 2, 1)  # 11:56 .. 12:00
    assert stats.last_minute == 1


def test_stats_of_a_gate_with_no_scans_are_zero(gate: Gate) -> None:
    stats = gate.core().stats(minutes=3)

    assert (stats.admitted, stats.rejected, stats.attention, stats.exits) == (0, 0, 0, 0)
    assert stats.per_minute == (0, 0, 0)
    assert stats.last_minute == 0


# -- upgrade from the first schema ----------------------------------------------------------

# The first scanner schema, as released: what a gate paired before gate modes has on disk.
_V1_DDL = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    venue_name TEXT NOT NULL
);
CREATE TABLE public_keys (
    key_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    public_key TEXT NOT NULL
);
CREATE TABLE tickets (
    ticket_id TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL,
    type_name TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    revoked INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE scans (
    scan_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    device_name TEXT NOT NULL,
    gate TEXT NOT NULL,
    hlc TEXT NOT NULL,
    scanned_at_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    event_id INTEGER,
    ticket_id TEXT,
    raw TEXT,
    own INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_by_ticket ON scans (ticket_id, reason);
CREATE INDEX scans_pending ON scans (hlc) WHERE own = 1 AND uploaded = 0;
CREATE INDEX scans_by_hlc ON scans (hlc);
CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans
BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END;
CREATE TRIGGER scans_no_update BEFORE UPDATE OF
    scan_id, device_id, device_name, gate, hlc, scanned_at_ms, reason, event_id, ticket_id,
    raw, own ON scans
BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END;
CREATE TRIGGER scans_upload_once BEFORE UPDATE OF uploaded ON scans
WHEN NEW.uploaded < OLD.uploaded OR OLD.own = 0
BEGIN SELECT RAISE(ABORT, 'only own scans are uploaded, once'); END;
CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def write_v1_gate(path: Path, maker: TicketMaker) -> dict[str, str]:
    """A gate database as the first release left it: paired, two tickets in the manifest,
    one of them admitted and not yet uploaded. Returns the tokens by holder."""
    ada, zoe = maker.claims(type_id=4), maker.claims(type_id=4)
    event, key = maker.event_entry(), maker.key_entry()
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_V1_DDL)
        conn.executemany(
            "INSERT INTO config VALUES (?, ?)",
            [(name, getattr(DEVICE, name)) for name in DEVICE.__dataclass_fields__],
        )
        conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
            (event.event_id, event.name, event.starts_at, event.ends_at, event.venue_name),
        )
        conn.execute(
            "INSERT INTO public_keys VALUES (?, ?, ?)", (key.key_id, key.event_id, key.public_key)
        )
        conn.executemany(
            "INSERT INTO tickets VALUES (?, ?, 4, 'Early bird', ?, 0)",
            [
                (ticket_ref(ada.ticket_id), maker.event_id, "Ada Lovelace"),
                (ticket_ref(zoe.ticket_id), maker.event_id, "Zoë Brontë"),
            ],
        )
        at_ms = int(time.time() * 1000) - 60_000
        conn.execute(
            "INSERT INTO scans VALUES (?, ?, ?, 'North', ?, ?, 'admitted', ?, ?, NULL, 1, 0)",
            (
                "0190f2a4-0000-7000-8000-0000000000a1",
                DEVICE.device_id,
                DEVICE.device_name,
                Hlc(at_ms, 0, DEVICE.device_id).encode(),
                at_ms,
                maker.event_id,
                ticket_ref(ada.ticket_id),
            ),
        )
        conn.commit()
    finally:
        conn.close()
    return {"Ada Lovelace": maker.token(ada), "Zoë Brontë": maker.token(zoe)}


def test_a_gate_from_the_first_release_upgrades_with_tickets_searchable(
    tmp_path: Path, maker: TicketMaker
) -> None:
    path = tmp_path / "old.sqlite3"
    tokens = write_v1_gate(path, maker)

    store = Store(path)
    try:
        core = ScannerCore(store, HybridClock(DEVICE.device_id))

        [zoe] = core.search("zoe")
        assert zoe.ticket.holder_name == "Zoë Brontë"
        assert zoe.ticket.max_entries == 1 and not zoe.ticket.reentry
        [ada] = core.search("lovelace")
        assert ada.presence.entries == 1
        assert ada.verdict.reason is Reason.ALREADY_ADMITTED
        assert [(t.type_id, t.name) for t in store.ticket_types()] == [(4, "Early bird")]
        assert store.pending_count() == 1
        assert core.scan(tokens["Ada Lovelace"]).reason is Reason.ALREADY_ADMITTED
        assert core.scan(tokens["Zoë Brontë"]).admit
        # A revocation that arrives after the upgrade reaches the search index too.
        store.apply_manifest_page(
            ManifestPage(
                next_cursor="after-upgrade",
                has_more=False,
                tickets=[
                    TicketEntry(
                        ticket_id=zoe.ticket.ticket_id,
                        event_id=maker.event_id,
                        type_id=4,
                        type_name="Early bird",
                        holder_name="Zoë Brontë-Nicholls",
                        revoked=True,
                    )
                ],
            )
        )
        [renamed] = core.search("nicholls")
        assert renamed.verdict.reason is Reason.REVOKED
    finally:
        store.close()
