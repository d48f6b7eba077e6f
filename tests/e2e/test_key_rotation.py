"""Rotating an event's signing key, end to end: the cloud signs new tickets with the new key,
the manifest carries both public keys to the venue server and on to a gate, and the gate
admits tickets signed with either key, offline, from its own copy."""

from __future__ import annotations

from pathlib import Path

from shared.reasons import Reason
from shared.token import parse_token
from tests.cloud_harness import Cloud, Organizer
from tests.e2e.lan import Gate, VenueSite, cloud, eventually

__all__ = ["cloud"]


def test_old_tickets_stay_valid_and_new_ones_carry_the_new_key(
    cloud: Cloud,
    tmp_path: Path,
) -> None:
    organizer = Organizer(cloud)
    venue = organizer.venue()
    before = [t["token"] for t in organizer.issue(venue, 2, holder="Before")]
    site = VenueSite(tmp_path / "venue", cloud.url, venue.api_key).start()
    gate = Gate(tmp_path / "gate", site, "North")
    try:
        eventually(lambda: site.store.ticket_count() == 2, "the venue to hold the tickets")
        gate.sync_now()

        rotated = organizer.http.post(f"/api/v1/events/{venue.event_id}/keys")
        assert rotated.status_code == 201, rotated.text
        keys = rotated.json()["keys"]
        assert keys[0]["key_id"] == venue.key_id
        new_key = keys[-1]["key_id"]
        assert new_key != venue.key_id and len(keys) == 2
        event = organizer.http.get(f"/api/v1/events/{venue.event_id}").json()
        assert event["key_id"] == new_key

        after = [t["token"] for t in organizer.issue(venue, 1, holder="After")]
        assert parse_token(after[0])[0].key_id == new_key
        assert all(parse_token(t)[0].key_id == venue.key_id for t in before)

        eventually(lambda: len(site.store.public_keys()) == 2, "the venue to hold both keys")
        eventually(lambda: site.store.ticket_count() == 3, "the venue to hold the new ticket")
        gate.sync_now()
        site.stop()  # the gate decides on its own from here
        verdicts = [gate.scan(token) for token in [*before, *after]]
        assert [v.reason for v in verdicts] == [Reason.ADMITTED] * 3
    finally:
        gate.close()
        site.close()
        organizer.close()


def test_only_managers_and_owners_rotate_and_only_their_own_events(cloud: Cloud) -> None:
    owner = Organizer(cloud)
    venue = owner.venue()
    stranger = Organizer(cloud)
    try:
        answer = stranger.http.post(f"/api/v1/events/{venue.event_id}/keys")
        assert answer.status_code == 404
        assert len(owner.keys(venue)) == 1
    finally:
        owner.close()
        stranger.close()
