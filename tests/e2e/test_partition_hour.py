"""Four gates cut off from the venue server for a simulated hour of doors, with deliberate
double entries (the same single-entry ticket admitted at two gates, and at one gate twice).

After the network comes back, in whatever order the gates reconnect: every scan reaches the
cloud exactly once, and every double entry is in the conflict inbox with the same winner at
the venue, in the cloud and on every gate. ``BILTEN_LONG=1`` runs ten times the tickets."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

from cloud.worker import run_worker
from scanner_app.core import ScannerCore
from scanner_app.sync import SyncService
from shared.clock import HybridClock
from shared.reasons import Reason
from shared.rules import admission_order
from tests.cloud_harness import Cloud, Organizer
from tests.e2e.lan import Gate, VenueSite, cloud, eventually
from tests.support import LONG, figure

__all__ = ["cloud"]  # the fixture, parametrized over SQLite and PostgreSQL

TICKETS = 400 if LONG else 40
DOUBLES = 40 if LONG else 8
HOUR_S = 3600


class SimulatedTime:
    """The doors' clock: starts now and moves only as the test lets the hour pass."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)


def _on_simulated_time(gate: Gate, doors: SimulatedTime) -> None:
    device = gate.store.device()
    assert device is not None
    gate.clock = HybridClock(device.device_id, wall=doors.ms)
    gate.sync = SyncService(gate.store, gate.clock)
    gate.core = ScannerCore(gate.store, gate.clock, now=doors)


def test_an_hour_offline_with_double_entries_keeps_every_scan_once_and_one_winner(
    cloud: Cloud, tmp_path: Path
) -> None:
    rng = random.Random(TICKETS)
    organizer = Organizer(cloud)
    venue = organizer.venue("Riverside Hall")
    crowd = organizer.ticket_type(venue, "Crowd", capacity=TICKETS)
    issued = organizer.issue(venue, TICKETS, holder="Vera Holder", type_id=crowd)
    site = VenueSite(tmp_path / "venue", cloud.url, venue.api_key).start()
    gates = [Gate(tmp_path / name, site, name) for name in "ABCD"]
    doors = SimulatedTime()
    try:
        eventually(lambda: site.store.ticket_count() == TICKETS, "the venue to pull the tickets")
        for gate in gates:
            assert gate.sync_now().online
            _on_simulated_time(gate, doors)

        site.stop()
        # The hour: every holder comes once to some gate; some come back at another gate
        # (a double entry) or at the same one (refused there, it knows).
        visits = [(t, rng.choice(gates)) for t in issued]
        doubles = rng.sample(issued, DOUBLES)
        visits += [(t, rng.choice(gates)) for t in doubles]
        step = HOUR_S / len(visits)
        verdicts: Counter[Reason] = Counter()
        for ticket, gate in visits:
            doors.now += step
            verdicts[gate.scan(ticket["token"]).reason] += 1
        for gate in gates:
            assert not gate.sync_now().online

        site.start()
        for gate in rng.sample(gates, len(gates)):
            assert gate.sync_now().online
        for gate in gates:
            assert gate.sync_now().online and gate.store.pending_count() == 0
        made = {r.scan_id: r for gate in gates for r in gate.made}
        eventually(
            lambda: site.pending_upload() == 0 and len(organizer.scans(venue)) == len(made),
            "every scan in the cloud",
            timeout=120,
        )
        run_worker(cloud.settings, once=True)

        # Who should win each double entry: the first admission in the shared order.
        admissions: dict[str, list] = {}
        for record in made.values():
            if record.reason is Reason.ADMITTED:
                admissions.setdefault(record.ticket_id, []).append(record)
        contested = {t: rs for t, rs in admissions.items() if len(rs) > 1}
        winner = {t: min(rs, key=admission_order).scan_id for t, rs in contested.items()}
        flagged = {r.scan_id for t, rs in contested.items() for r in rs} - set(winner.values())
        assert contested, "the hour had double entries across gates"

        held = site.scan_ids()
        assert len(held) == len(set(held)) and set(held) == set(made)
        at_venue = site.store.conflicts(limit=10_000)
        assert {c.counted.scan_id for c in at_venue} == set(winner.values())
        assert {c.flagged.scan_id for c in at_venue} == flagged

        in_cloud = organizer.scan_ids(venue)
        assert len(in_cloud) == len(set(in_cloud)) == len(made)
        conflicts = organizer.conflicts(venue)
        assert {c["admitted"]["scan_id"] for c in conflicts} == set(winner.values())
        assert {c["conflicting"]["scan_id"] for c in conflicts} == flagged

        for gate in gates:
            gate.sync_now()
            for ticket_id, scan_id in winner.items():
                assert gate.winner(ticket_id)[0] == scan_id, gate.name
        figure(
            "partition hour",
            database=cloud.settings.database_url.split(":")[0],
            gates=len(gates),
            scans=len(made),
            double_entries=len(contested),
            flagged=len(flagged),
            refused_at_the_same_gate=verdicts[Reason.ALREADY_ADMITTED],
            in_cloud_once=len(in_cloud),
        )
    finally:
        for gate in gates:
            gate.close()
        site.close()
        organizer.close()
