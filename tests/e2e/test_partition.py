"""A partition at the venue: the venue server goes away, four gates each admit the same
single-entry ticket on their own, and the network comes back.

Conflicts are kept, not hidden: every admission survives at the venue and in the cloud, each
scan reaches the cloud exactly once, and every node (each gate, the venue server, the cloud)
counts the same admission and flags the same others, whichever gate reconnected first.
"""

from __future__ import annotations

from pathlib import Path

from cloud.worker import run_worker
from shared.reasons import Reason
from shared.rules import admission_order
from tests.cloud_harness import Cloud, Organizer
from tests.e2e.lan import Gate, VenueSite, cloud, eventually

__all__ = ["cloud"]  # the fixture, parametrized over SQLite and PostgreSQL


def test_gates_cut_off_from_each_other_keep_every_admission_and_agree_on_the_winner(
    cloud: Cloud, tmp_path: Path
) -> None:
    organizer = Organizer(cloud)
    venue = organizer.venue("Riverside Hall")
    issued = organizer.issue(venue, 6, holder="Vera Holder")
    contested, *others = issued
    site = VenueSite(tmp_path / "venue", cloud.url, venue.api_key).start()
    gates = [Gate(tmp_path / name, site, name) for name in "ABCD"]
    try:
        eventually(lambda: site.store.ticket_count() == 6, "the venue to pull the manifest")
        for gate in gates:
            assert gate.sync_now().online and gate.store.ticket_count() == 6

        site.stop()
        # Each gate, alone, lets the same holder in, and goes on with its own queue.
        for gate, own in zip(gates, others, strict=False):
            assert gate.scan(contested["token"]).reason is Reason.ADMITTED
            assert gate.scan(own["token"]).reason is Reason.ADMITTED
        assert gates[0].scan(contested["token"]).reason is Reason.ALREADY_ADMITTED
        assert gates[1].scan(others[3]["token"][:-4] + "AAAA").reason in {
            Reason.FORGED,
            Reason.UNREADABLE,
        }
        for gate in gates:
            assert not gate.sync_now().online

        site.start()
        # The gate that admitted first reconnects last.
        for gate in reversed(gates):
            assert gate.sync_now().online
        for gate in gates:
            assert gate.sync_now().online and gate.store.pending_count() == 0
        made = {r.scan_id: r for gate in gates for r in gate.made}
        eventually(
            lambda: site.pending_upload() == 0 and len(organizer.scans(venue)) == len(made),
            "every scan in the cloud",
        )
        run_worker(cloud.settings, once=True)

        admissions = [
            r
            for r in made.values()
            if r.ticket_id == contested["ticket_id"] and r.reason is Reason.ADMITTED
        ]
        expected = min(admissions, key=admission_order).scan_id
        flagged = {r.scan_id for r in admissions} - {expected}
        assert len(admissions) == 4 and len(flagged) == 3

        # The venue holds every scan, once, and flags the same admissions.
        held = site.scan_ids()
        assert len(held) == len(set(held)) and set(held) == set(made)
        at_venue = [c for c in site.store.conflicts() if c.ticket_id == contested["ticket_id"]]
        assert {c.counted.scan_id for c in at_venue} == {expected}
        assert {c.flagged.scan_id for c in at_venue} == flagged
        assert site.store.conflict_count() == 3

        # Each gate, with every gate's scans relayed to it, counts the same one.
        for gate in gates:
            gate.sync_now()
            assert gate.winner(contested["ticket_id"]) == (expected, flagged), gate.name

        # The cloud: each scan exactly once, the same winner, the same three flagged.
        in_cloud = organizer.scan_ids(venue)
        assert len(in_cloud) == len(set(in_cloud)) == len(made)
        assert set(in_cloud) == set(made)
        conflicts = organizer.conflicts(venue)
        assert {c["admitted"]["scan_id"] for c in conflicts} == {expected}
        assert {c["conflicting"]["scan_id"] for c in conflicts} == flagged
    finally:
        for gate in gates:
            gate.close()
        site.close()
        organizer.close()
