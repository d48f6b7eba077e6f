from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import Hlc
from shared.keys import Keyring, VerifyKey
from shared.messages import Direction, ScanRecord, TicketEntry
from shared.reasons import Reason, Severity
from shared.rules import GatePolicy, ListedTicket, TicketInfo, decide, judge, split_admissions
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


# -- gate modes --------------------------------------------------------------------------------

EXIT_GATE = GatePolicy(event_ids=frozenset({10}), direction=Direction.EXIT)


def moves(*steps: tuple[Reason, int]) -> list[ScanRecord]:
    """One ticket's movements at the given wall times (ms), from gate 'a'."""
    return [
        record(ref_of(1), reason, at, "a", f"00000000-0000-7000-8000-{i:012d}")
        for i, (reason, at) in enumerate(steps)
    ]


def test_exit_gate_lets_a_genuine_ticket_out_even_a_revoked_one():
    inside = moves((Reason.ADMITTED, 1_000))
    verdict = judge(token(), KEYRING, lookup_from(TicketInfo(revoked=True), inside), EXIT_GATE, NOW)
    assert verdict.reason is Reason.EXITED
    assert verdict.severity is Severity.ADMIT
    assert judge(token(key=OTHER_EVENT_KEY), KEYRING, lookup_from(), EXIT_GATE, NOW).reason is (
        Reason.FORGED
    )


def test_reentry_after_exit_is_admitted_only_for_tickets_that_allow_it():
    out = moves((Reason.ADMITTED, 1_000), (Reason.EXITED, 2_000))
    pass_out = TicketInfo(reentry=True)
    verdict = judge(token(), KEYRING, lookup_from(pass_out, out), GATE, NOW)
    assert verdict.admit and verdict.reentry and verdict.entries == 1
    assert judge(token(), KEYRING, lookup_from(TicketInfo(), out), GATE, NOW).reason is (
        Reason.ALREADY_ADMITTED
    )
    # Still inside: a second entry is a repeat even for a pass-out ticket.
    inside = moves((Reason.ADMITTED, 1_000))
    assert judge(token(), KEYRING, lookup_from(pass_out, inside), GATE, NOW).reason is (
        Reason.ALREADY_ADMITTED
    )


def test_multi_entry_ticket_counts_its_entries_and_names_the_last_one():
    info = TicketInfo(max_entries=3)
    history: list[ScanRecord] = []
    for n in (1, 2, 3):
        verdict = judge(token(), KEYRING, lookup_from(info, history), GATE, NOW)
        assert verdict.admit and verdict.entries == n and verdict.max_entries == 3
        history += [
            record(
                ref_of(1),
                Reason.ADMITTED,
                n * 1_000,
                str(n),
                f"{n:08d}-0000-7000-8000-000000000000",
            )
        ]
    verdict = judge(token(), KEYRING, lookup_from(info, history), GATE, NOW)
    assert verdict.reason is Reason.ALREADY_ADMITTED and verdict.entries == 3
    assert verdict.previous is not None and verdict.previous.gate == "Gate 3"
    unlimited = TicketInfo(max_entries=0)
    assert judge(token(), KEYRING, lookup_from(unlimited, history), GATE, NOW).admit


def test_gate_admits_only_its_ticket_types_and_sends_others_elsewhere():
    vip_only = GatePolicy(event_ids=frozenset({10}), type_ids=frozenset({2}))
    verdict = judge(token(), KEYRING, lookup_from(), vip_only, NOW)
    assert verdict.reason is Reason.WRONG_GATE
    assert verdict.severity is Severity.ATTENTION
    # A revoked ticket is refused, not redirected.
    assert judge(token(), KEYRING, lookup_from(TicketInfo(revoked=True)), vip_only, NOW).reason is (
        Reason.REVOKED
    )


def test_conflicts_respect_entry_allowances_and_exits():
    two_entries = moves(
        (Reason.ADMITTED, 1_000), (Reason.ADMITTED, 2_000), (Reason.ADMITTED, 3_000)
    )
    first, conflicts = split_admissions(two_entries, max_entries=2)
    assert first is not None and first.scanned_at_ms == 1_000
    assert [c.scanned_at_ms for c in conflicts] == [3_000]
    with_pass_out = moves(
        (Reason.ADMITTED, 1_000), (Reason.EXITED, 2_000), (Reason.ADMITTED, 3_000)
    )
    assert split_admissions(with_pass_out, reentry=True)[1] == []
    assert [c.scanned_at_ms for c in split_admissions(with_pass_out)[1]] == [3_000]


def test_listed_ticket_is_judged_by_the_same_rules_as_a_read_one():
    entry = TicketEntry(
        ticket_id=ref_of(1), event_id=10, type_id=1, type_name="GA", valid_from=NOW + 60
    )
    verdict = decide(ListedTicket.of(entry), TicketInfo.of(entry), [], GATE, NOW)
    assert verdict.reason is Reason.NOT_YET_VALID
    assert decide(ListedTicket.of(entry), TicketInfo.of(entry), [], GATE, NOW + 60).admit
