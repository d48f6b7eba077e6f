"""Schemathesis against the running venue server's OpenAPI document, as a paired scanner:
no 5xx, and every documented answer matches its schema. The live feed is left out (a stream
that never ends by itself; its refusals are in tests/venue/test_live.py).
``BILTEN_LONG=1`` for the long run."""

from __future__ import annotations

from tests.api_fuzz import fuzz
from tests.support import LONG, figure
from tests.venue.conftest import Issuer, Venue


def test_the_venue_api_never_fails_and_answers_as_documented(venue: Venue, issuer: Issuer) -> None:
    tickets = [issuer.issue()[1] for _ in range(3)]
    venue.store.apply_manifest([issuer.event_entry], [issuer.key_entry], tickets, "c1")
    device = venue.pair("Fuzzing gate")

    run = fuzz(
        venue.url,
        lambda path: {"Authorization": f"Bearer {device.device_token}"},
        skip=frozenset({"/api/v1/live"}),
        quick=15,
        long=2000,
    )
    figure(
        "venue API fuzz",
        operations=run.operations,
        cases=run.cases,
        statuses=dict(sorted(run.statuses.items())),
        failures=len(run.failures),
        mode="long" if LONG else "quick",
    )
    assert not run.failures, "\n\n".join(run.failures)
