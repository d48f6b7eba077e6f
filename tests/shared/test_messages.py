from __future__ import annotations

import json

import pytest

from shared.errors import ProtocolError
from shared.ids import new_scan_id
from shared.messages import MAX_BATCH, ScanBatch, ScanRecord, decode, encode
from shared.reasons import Reason


def scan(**overrides) -> dict:
    base = {
        "scan_id": new_scan_id(),
        "device_id": "d1",
        "device_name": "Scanner 1",
        "gate": "A",
        "hlc": "000000000000001-00000-d1",
        "scanned_at_ms": 1,
        "reason": "admitted",
        "event_id": 1,
        "ticket_id": "A" * 20,
    }
    base.update(overrides)
    return base


def test_round_trip():
    batch = decode(json.dumps({"v": 1, "scans": [scan()]}), ScanBatch)
    assert batch.scans[0].reason is Reason.ADMITTED
    assert decode(encode(batch), ScanBatch) == batch


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("{", "not valid JSON"),
        (json.dumps({"v": 2, "scans": []}), "version 2"),
        (json.dumps({"v": 1, "scans": [scan(reason="let them in")]}), "reason"),
        (json.dumps({"v": 1, "scans": [scan(scan_id="1; DROP TABLE scans")]}), "scan_id"),
        (json.dumps({"v": 1, "scans": [scan(ticket_id="short")]}), "ticket_id"),
        (json.dumps({"v": 1, "scans": [scan(extra=1)]}), "extra"),
        (json.dumps({"v": 1, "scans": [scan()] * (MAX_BATCH + 1)}), "length"),
        # No tier's database stores these: refused at the first hop, not failing further up.
        (json.dumps({"v": 1, "scans": [scan(scanned_at_ms=2**63)]}), "scanned_at_ms"),
        (json.dumps({"v": 1, "scans": [scan(gate="North\x00")]}), "gate"),
        (json.dumps({"v": 1, "scans": [scan(raw="\x00")]}), "raw"),
    ],
)
def test_broken_batches_are_refused_whole_with_a_reason(body, complaint):
    with pytest.raises(ProtocolError, match=complaint):
        decode(body, ScanBatch)


def test_scan_ids_are_unique_and_time_ordered():
    ids = [new_scan_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 36 and i[14] == "7" for i in ids)


def test_admitted_is_derived_from_the_reason():
    record = ScanRecord(**{**scan(), "reason": Reason.REVOKED})
    assert not record.admitted
