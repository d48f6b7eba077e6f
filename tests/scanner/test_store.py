from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scanner_app.errors import StoreError
from scanner_app.store import FEED_CURSOR, MANIFEST_CURSOR, GateSettings, Store
from shared.messages import ManifestPage
from tests.scanner.gate import DEVICE, Gate, ticket_entry


def test_pairing_manifest_and_cursor_survive_a_reopen(gate: Gate) -> None:
    token_claims = gate.maker.claims()
    gate.store.apply_manifest_page(
        ManifestPage(
            next_cursor="c-42",
            has_more=True,
            remaining=10,
            tickets=[ticket_entry(token_claims, "Ada")],
        )
    )
    path = gate.store.path
    gate.store.close()

    reopened = Store(path)

    assert reopened.device() == DEVICE
    assert reopened.cursor(MANIFEST_CURSOR) == "c-42"
    assert reopened.cursor(FEED_CURSOR) == ""
    assert [e.event_id for e in reopened.events()] == [gate.maker.event_id]
    assert [k.key_id for k in reopened.public_keys()] == [gate.maker.key_id]
    entry = reopened.ticket(token_claims.ticket_ref)
    assert entry is not None and entry.holder_name == "Ada" and not entry.revoked
    gate.store = reopened


def test_a_revocation_in_a_later_page_replaces_the_ticket(gate: Gate) -> None:
    claims = gate.maker.claims()
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor="1", has_more=False, tickets=[ticket_entry(claims)])
    )
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor="2", has_more=False, tickets=[ticket_entry(claims, revoked=True)])
    )

    entry = gate.store.ticket(claims.ticket_ref)
    assert entry is not None and entry.revoked
    assert gate.store.ticket_count() == 1


def test_scan_records_cannot_be_changed_or_deleted(gate: Gate) -> None:
    gate.core().scan(gate.sell())
    conn = sqlite3.connect(gate.store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute("UPDATE scans SET reason = 'forged'")
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute("DELETE FROM scans")
        conn.execute("UPDATE scans SET uploaded = 1")
        conn.commit()
        with pytest.raises(sqlite3.IntegrityError, match="once"):
            conn.execute("UPDATE scans SET uploaded = 0")
    finally:
        conn.close()


def test_pending_scans_are_own_unuploaded_ones_in_order(gate: Gate) -> None:
    core = gate.core()
    for _ in range(3):
        core.scan(gate.sell())
    first, second, third = gate.store.pending_scans(10)

    gate.store.mark_uploaded([first.scan_id, third.scan_id])

    assert gate.store.pending_count() == 1
    assert [s.scan_id for s in gate.store.pending_scans(10)] == [second.scan_id]
    assert first.hlc < second.hlc < third.hlc


def test_relayed_scans_are_stored_once(gate: Gate) -> None:
    core = gate.core()
    core.scan(gate.sell())
    [own] = gate.store.pending_scans(10)

    inserted = gate.store.add_feed_scans([own], "feed-1")

    assert inserted == 0
    assert gate.store.cursor(FEED_CURSOR) == "feed-1"
    assert gate.store.pending_count() == 1


def test_database_from_a_newer_scanner_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scanner.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()

    with pytest.raises(StoreError, match="newer scanner"):
        Store(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "scanner.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(StoreError, match="cannot open"):
        Store(path)


def test_one_unreadable_setting_does_not_clear_the_others(tmp_path: Path) -> None:
    stored = GateSettings(zone="Balcony", kiosk_pin="scrypt$salt$hash", sound=False)
    text = stored.to_json().replace('"sound": false', '"sound": "loud"')

    settings = GateSettings.from_json(text)

    assert settings.sound is True  # the broken field falls back to its default
    assert (settings.zone, settings.kiosk_pin) == ("Balcony", "scrypt$salt$hash")
