"""Several venue servers for one event: a stadium's north and south entrances each run their
own venue server on their own LAN, both paired with the stadium's venue key.

Each server pulls the whole manifest and serves its own gates; the organizer's refund reaches
both; every scan from both reaches the cloud once; and a ticket let in at both entrances (the
two LANs cannot see each other) is one admission and one flagged conflict in the cloud.
"""

from __future__ import annotations

from pathlib import Path

from cloud.worker import run_worker
from shared.reasons import Reason
from shared.rules import admission_order
from tests.cloud_harness import Cloud, Organizer
from tests.e2e.lan import Gate, VenueSite, cloud, eventually

__all__ = ["cloud"]  # the fixture, parametrized over SQLite and PostgreSQL


def test_two_venue_servers_of_one_venue_reconcile_their_scans_in_the_cloud(
    cloud: Cloud, tmp_path: Path
) -> None:
    organizer = Organizer(cloud)
    stadium = organizer.venue("City Stadium")
    issued = organizer.issue(stadium, 5, holder="Vera Holder")
    twice, north_only, south_only, refunded, _unused = issued
    north = VenueSite(tmp_path / "north", cloud.url, stadium.api_key).start()
    south = VenueSite(tmp_path / "south", cloud.url, stadium.api_key).start()
    gates = {
        "N1": Gate(tmp_path / "n1", north, "N1"),
        "N2": Gate(tmp_path / "n2", north, "N2"),
        "S1": Gate(tmp_path / "s1", south, "S1"),
    }
    try:
        for site in (north, south):
            eventually(lambda site=site: site.store.ticket_count() == 5, "both manifests")
        organizer.revoke(refunded["ticket_id"])
        for site in (north, south):
            eventually(
                lambda site=site: site.revoked() == {refunded["ticket_id"]},
                "the refund at both entrances",
            )
        for gate in gates.values():
            assert gate.sync_now().online and gate.store.ticket_count() == 5

        assert gates["N1"].scan(twice["token"]).reason is Reason.ADMITTED
        assert gates["N1"].scan(north_only["token"]).reason is Reason.ADMITTED
        assert gates["S1"].scan(south_only["token"]).reason is Reason.ADMITTED
        assert gates["S1"].scan(refunded["token"]).reason is Reason.REVOKED
        gates["N1"].sync_now()
        # Within one entrance the venue server keeps the gates consistent...
        gates["N2"].sync_now()
        assert gates["N2"].scan(twice["token"]).reason is Reason.ALREADY_ADMITTED
        # ...but the south entrance cannot know: the ticket goes in there too.
        assert gates["S1"].scan(twice["token"]).reason is Reason.ADMITTED
        for gate in gates.values():
            assert gate.sync_now().online and gate.store.pending_count() == 0

        made = {r.scan_id: r for gate in gates.values() for r in gate.made}
        eventually(
            lambda: (
                north.pending_upload() == south.pending_upload() == 0
                and len(organizer.scans(stadium)) == len(made)
            ),
            "every scan from both entrances in the cloud",
        )
        run_worker(cloud.settings, once=True)

        in_cloud = organizer.scans(stadium)
        assert len(in_cloud) == len({s["scan_id"] for s in in_cloud}) == len(made) == 6
        assert {s["scan_id"] for s in in_cloud} == set(made)
        assert {s["gate"] for s in in_cloud} == {"Gate N1", "Gate N2", "Gate S1"}
        admissions = [
            r
            for r in made.values()
            if r.ticket_id == twice["ticket_id"] and r.reason is Reason.ADMITTED
        ]
        winner = min(admissions, key=admission_order)
        [loser] = [r for r in admissions if r is not winner]
        [conflict] = organizer.conflicts(stadium)
        assert conflict["admitted"]["scan_id"] == winner.scan_id
        assert conflict["conflicting"]["scan_id"] == loser.scan_id
        assert {conflict["admitted"]["gate"], conflict["conflicting"]["gate"]} == {
            "Gate N1",
            "Gate S1",
        }
    finally:
        for gate in gates.values():
            gate.close()
        north.close()
        south.close()
        organizer.close()
