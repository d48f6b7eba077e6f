from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import Hlc
from shared.keys import Keyring, VerifyKey
from shared.messages import ScanRecord
from shared.reasons import Reason, Severity
from shared.rules import GatePolicy, TicketInfo, judge, split_admissions
from shared.token import TicketClaims, sign_ticket

KEY = Ed25519PrivateKey.generate()
OTHER_EVENT_KEY = Ed25519PrivateKey.generate()
KEYRING = Keyring(
    [VerifyKey(1, 10, KEY.public_key()), VerifyKey(2, 11, OTHER_EVENT_KEY.public_key())]
)
GATE = GatePolicy(event_ids=frozenset({10}))
NOW = 1_800_000_000


def token(tid: int = 1, key=KEY, key_id: int = 1, event_id: int = 10, **window) -> str:
    claims = TicketClaims(
        key_id=key_id,
        event_id=event_id,
        ticket_id=bytes([tid]) * 12,
        type_id=1,
        issued_at=NOW - 100,
        **window,
    )
    return sign_ticket(claims, key)


def record(ref: str, reason: Reason, wall_ms: int, device: str, scan_id: str) -> ScanRecord:
    return ScanRecord(
        scan_id=scan_id,
        device_id=device,
        device_name=f"Scanner {device}",
        gate=f"Gate {device}",
        hlc=Hlc(wall_ms, 0, device).encode(),
        scanned_at_ms=wall_ms,
        reason=reason,
        event_id=10,
        ticket_id=ref,
    )


def lookup_from(info: TicketInfo | None = None, history: Sequence[ScanRecord] = ()):
    return lambda ref: (info, [r for r in history if r.ticket_id == ref])


def ref_of(tid: int) -> str:
    from shared.token import ticket_ref

    return ticket_ref(bytes([tid]) * 12)


def test_valid_ticket_is_admitted_even_before_it_is_in_the_manifest():
    verdict = judge(token(), KEYRING, lookup_from(None), GATE, NOW)
    assert verdict.admit and verdict.severity is Severity.ADMIT


def test_guards_run_in_the_documented_order():
    # Revoked and outside its window and already admitted: revocation wins.
    history = [record(ref_of(1), Reason.ADMITTED, 1, "a", "00000000-0000-7000-8000-000000000001")]
    verdict = judge(
        token(valid_from=NOW + 10, valid_until=NOW + 20),
        KEYRING,
        lookup_from(TicketInfo(revoked=True), history),
        GATE,
        NOW,
    )
    assert verdict.reason is Reason.REVOKED
    verdict = judge(
        token(valid_from=NOW + 10, valid_until=NOW + 20),
        KEYRING,
        lookup_from(None, history),
        GATE,
        NOW,
    )
    assert verdict.reason is Reason.NOT_YET_VALID


def test_each_reason():
    cases = {
        Reason.UNREADABLE: judge("garbage", KEYRING, lookup_from(), GATE, NOW),
        Reason.UNKNOWN_KEY: judge(token(key_id=9), KEYRING, lookup_from(), GATE, NOW),
        Reason.FORGED: judge(token(key=OTHER_EVENT_KEY), KEYRING, lookup_from(), GATE, NOW),
        Reason.WRONG_EVENT: judge(
            token(key=OTHER_EVENT_KEY, key_id=2, event_id=11), KEYRING, lookup_from(), GATE, NOW
        ),
        Reason.REVOKED: judge(token(), KEYRING, lookup_from(TicketInfo(revoked=True)), GATE, NOW),
        Reason.NOT_YET_VALID: judge(token(valid_from=NOW + 1), KEYRING, lookup_from(), GATE, NOW),
        Reason.EXPIRED: judge(token(valid_until=NOW), KEYRING, lookup_from(), GATE, NOW),
    }
    for reason, verdict in cases.items():
        assert verdict.reason is reason
        assert not verdict.admit


def test_already_admitted_names_the_first_admission_by_clock_order():
    ref = ref_of(1)
    history = [
        record(ref, Reason.ADMITTED, 2_000, "b", "00000000-0000-7000-8000-000000000002"),
        record(ref, Reason.ADMITTED, 1_000, "a", "00000000-0000-7000-8000-000000000003"),
        record(ref, Reason.REVOKED, 500, "c", "00000000-0000-7000-8000-000000000004"),
    ]
    verdict = judge(token(), KEYRING, lookup_from(None, history), GATE, NOW)
    assert verdict.reason is Reason.ALREADY_ADMITTED
    assert verdict.previous is not None
    assert (verdict.previous.gate, verdict.previous.device_name) == ("Gate a", "Scanner a")
    assert verdict.previous.scanned_at_ms == 1_000


def test_rejected_scans_do_not_count_as_admissions():
    history = [record(ref_of(1), Reason.REVOKED, 1, "a", "00000000-0000-7000-8000-000000000005")]
    assert judge(token(), KEYRING, lookup_from(None, history), GATE, NOW).admit


def test_every_node_picks_the_same_winner_whatever_order_it_saw():
    ref = ref_of(1)
    scans = [
        record(ref, Reason.ADMITTED, 1_000, "b", "00000000-0000-7000-8000-00000000000b"),
        record(ref, Reason.ADMITTED, 1_000, "a", "00000000-0000-7000-8000-00000000000a"),
        record(ref, Reason.ADMITTED, 3_000, "c", "00000000-0000-7000-8000-00000000000c"),
    ]
    winner, losers = split_admissions(scans)
    assert winner is not None and winner.device_id == "a"
    assert [s.device_id for s in losers] == ["b", "c"]
    assert split_admissions(reversed(scans))[0] == winner
