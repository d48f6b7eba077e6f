"""The network cut between each pair of tiers, mid-request, again and again: between the
gates and the venue server, and between the venue server and the cloud.

Each link runs through a TCP relay that the test cuts at a random moment (closing every
connection through it, whatever is on the wire) and restores a moment later, while two gates
scan and sync and the venue server pulls and uploads on its own schedule. In the end every
scan is at the venue and in the cloud exactly once, and no gate has anything left to send.
``BILTEN_NET_SEED`` replays a run; ``BILTEN_LONG=1`` cuts ten times as often."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from tests.cloud_harness import Cloud, Organizer
from tests.e2e.lan import Gate, VenueSite, cloud, eventually
from tests.support import LONG, TcpRelay, figure

__all__ = ["cloud"]  # the fixture, parametrized over SQLite and PostgreSQL

SEED = int(os.environ.get("BILTEN_NET_SEED", random.randrange(2**32)))
ROUNDS = 60 if LONG else 8
TICKETS_PER_ROUND = 3


def test_cut_links_lose_nothing_and_double_nothing(cloud: Cloud, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    organizer = Organizer(cloud)
    venue = organizer.venue("Riverside Hall")
    crowd = organizer.ticket_type(venue, "Crowd", capacity=ROUNDS * TICKETS_PER_ROUND * 2)
    issued = organizer.issue(venue, ROUNDS * TICKETS_PER_ROUND * 2, type_id=crowd)
    uplink = TcpRelay(cloud.port).restore()  # venue server <-> cloud
    site = VenueSite(tmp_path / "venue", uplink.url, venue.api_key).start()
    lan = TcpRelay(site.port).restore()  # gates <-> venue server
    gates = [
        Gate(tmp_path / name, SimpleNamespace(url=lan.url, code=site.code), name)  # type: ignore[arg-type]
        for name in "AB"
    ]
    tokens = iter(t["token"] for t in issued)
    try:
        eventually(lambda: site.store.ticket_count() == len(issued), "the venue's tickets")
        for gate in gates:
            assert gate.sync_now().online
        met_a_cut = 0
        for _ in range(ROUNDS):
            link = rng.choice([uplink, lan])
            timer = threading.Timer(rng.uniform(0, 0.05), link.cut)
            timer.start()
            for gate in gates:
                for _ in range(TICKETS_PER_ROUND):
                    gate.scan(next(tokens))
                # May meet the cut: the gate keeps what it could not send.
                met_a_cut += not gate.sync_now().online
            timer.join()
            time.sleep(rng.uniform(0, 0.3))  # the venue's own sync may meet it too
            link.restore()

        for gate in gates:
            eventually(
                lambda gate=gate: gate.sync_now().online and gate.store.pending_count() == 0,
                f"gate {gate.name} to have sent everything",
            )
        made = {r.scan_id for gate in gates for r in gate.made}
        eventually(
            lambda: site.pending_upload() == 0 and len(organizer.scans(venue)) >= len(made),
            "every scan in the cloud",
            timeout=60,
        )
        held = site.scan_ids()
        in_cloud = organizer.scan_ids(venue)
        figure(
            "network cuts",
            database=cloud.settings.database_url.split(":")[0],
            seed=SEED,
            cuts_gate_venue=lan.cuts,
            cuts_venue_cloud=uplink.cuts,
            gate_syncs_cut_off=met_a_cut,
            scans=len(made),
            at_venue=len(held),
            in_cloud=len(in_cloud),
        )
        assert len(held) == len(set(held)) and set(held) == made
        assert len(in_cloud) == len(set(in_cloud)) and set(in_cloud) == made
    finally:
        for gate in gates:
            gate.close()
        site.close()
        lan.cut()
        uplink.cut()
        organizer.close()
