from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.settings import CloudSettings
from shared.messages import ManifestPage, TicketEntry, decode
from tests.cloud.conftest import Api
from tests.support import serving


def _pull_all(
    client: TestClient[Any] | httpx.Client, headers: dict[str, str], limit: int
) -> tuple[list[ManifestPage], str]:
    pages: list[ManifestPage] = []
    cursor = ""
    while True:
        r = client.get(
            "/api/v1/venue/manifest", params={"cursor": cursor, "limit": limit}, headers=headers
        )
        assert r.status_code == 200, r.text
        page = decode(r.content, ManifestPage)
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            return pages, cursor


def test_paging_yields_every_ticket_once_with_progress(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    second = api.event(setup.organizer, setup.venue_id, "Matinee")
    second_type = api.ticket_type(setup.organizer, second["event_id"], "Kids")
    issued = api.issue(setup.organizer, setup.event_id, setup.type_id, count=7)
    issued += api.issue(setup.organizer, second["event_id"], second_type, count=4)

    pages, _ = _pull_all(client, setup.venue_headers, limit=3)

    refs = [t.ticket_id for page in pages for t in page.tickets]
    assert sorted(refs) == sorted(t["ticket_id"] for t in issued)
    assert [len(p.tickets) for p in pages] == [3, 3, 3, 2]
    assert [p.remaining for p in pages] == [8, 5, 2, 0]
    for page in pages:
        assert {e.event_id for e in page.events} == {setup.event_id, second["event_id"]}
        assert {k.key_id for k in page.keys} == {setup.key_id, second["key_id"]}
    kids = [t for p in pages for t in p.tickets if t.event_id == second["event_id"]]
    assert {t.type_name for t in kids} == {"Kids"}


def test_a_venue_sees_only_its_own_events(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    api.issue(setup.organizer, setup.event_id, setup.type_id, count=2)
    other_venue, other_headers = api.venue(setup.organizer, "Annex")

    me = client.get("/api/v1/venue/me", headers=other_headers).json()
    page = client.get("/api/v1/venue/manifest", headers=other_headers).json()

    assert me == {"venue_id": other_venue, "name": "Annex"}
    assert (page["events"], page["keys"], page["tickets"]) == ([], [], [])


@pytest.mark.parametrize("key", ["", "bvk_not-a-real-key", "Bearer"])
def test_unknown_venue_keys_are_refused(client: TestClient[Any], key: str) -> None:
    r = client.get("/api/v1/venue/manifest", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401


def test_an_organizer_token_is_not_a_venue_key(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    r = client.get("/api/v1/venue/manifest", headers=setup.organizer.headers)
    assert r.status_code == 401


def test_a_tampered_cursor_is_a_clear_400(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    r = client.get("/api/v1/venue/manifest", params={"cursor": "!!!"}, headers=setup.venue_headers)
    assert r.status_code == 400
    assert "cursor" in r.json()["detail"]


@pytest.mark.postgres
def test_concurrent_issuing_never_hides_a_ticket_from_a_paging_reader(
    postgres_url: str, tmp_path: Any
) -> None:
    from cloud.db import make_engine
    from cloud.migrate import upgrade

    engine = make_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    settings = CloudSettings(
        database_url=postgres_url, master_key=b"k" * 32, jwt_secret="s" * 40, data_dir=tmp_path
    )
    with serving(create_app(settings)) as server, httpx.Client(base_url=server.url) as http:
        api = Api(http)  # type: ignore[arg-type]
        setup = api.setup()
        issued: list[str] = []
        lock = threading.Lock()

        def issuer(rounds: int) -> None:
            with httpx.Client(base_url=server.url, timeout=30) as own:
                for i in range(rounds):
                    r = own.post(
                        f"/api/v1/events/{setup.event_id}/tickets",
                        json={"type_id": setup.type_id, "holder_name": "X", "count": 1 + i % 3},
                        headers=setup.organizer.headers,
                    )
                    r.raise_for_status()
                    with lock:
                        issued.extend(t["ticket_id"] for t in r.json()["tickets"])

        seen: list[str] = []
        cursor = ""
        pulls_while_issuing = 0
        with ThreadPoolExecutor(max_workers=6) as pool:
            jobs = [pool.submit(issuer, 15) for _ in range(6)]
            while not all(job.done() for job in jobs):
                r = http.get(
                    "/api/v1/venue/manifest",
                    params={"cursor": cursor, "limit": 4},
                    headers=setup.venue_headers,
                )
                page = decode(r.content, ManifestPage)
                seen.extend(t.ticket_id for t in page.tickets)
                cursor = page.next_cursor
                pulls_while_issuing += 1
            for job in jobs:
                job.result()
        more, _ = _pull_all_from(http, setup.venue_headers, cursor)
        seen.extend(more)

    assert len(issued) == 6 * sum(1 + i % 3 for i in range(15))
    assert pulls_while_issuing > 3  # the reader really raced the issuers
    assert sorted(seen) == sorted(issued)  # every ticket, exactly once


def _pull_all_from(
    http: httpx.Client, headers: dict[str, str], cursor: str
) -> tuple[list[str], str]:
    refs: list[str] = []
    while True:
        r = http.get(
            "/api/v1/venue/manifest", params={"cursor": cursor, "limit": 4}, headers=headers
        )
        page = decode(r.content, ManifestPage)
        refs.extend(t.ticket_id for t in page.tickets)
        cursor = page.next_cursor
        if not page.has_more:
            return refs, cursor


def test_ticket_entries_carry_holder_order_limits_and_validity(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    r = client.post(
        f"/api/v1/events/{setup.event_id}/ticket-types",
        json={"name": "Weekend pass", "capacity": 5, "max_entries": 2, "reentry": True},
        headers=setup.organizer.headers,
    )
    weekend = r.json()["type_id"]
    [pass_] = api.issue(
        setup.organizer,
        setup.event_id,
        weekend,
        holder_email="ada@example.org",
        order_ref="SHOP-7",
        valid_from="2030-06-01T18:00:00Z",
        valid_until="2030-06-03T02:00:00Z",
    )
    [plain] = api.issue(setup.organizer, setup.event_id, setup.type_id)

    [page] = _pull_all(client, setup.venue_headers, limit=10)[0]

    entries = {t.ticket_id: t for t in page.tickets}
    assert entries[pass_["ticket_id"]] == TicketEntry(
        ticket_id=pass_["ticket_id"],
        event_id=setup.event_id,
        type_id=weekend,
        type_name="Weekend pass",
        holder_name="Ada",
        holder_email="ada@example.org",
        order_ref="SHOP-7",
        revoked=False,
        max_entries=2,
        reentry=True,
        valid_from=1_906_567_200,
        valid_until=1_906_682_400,
    )
    single = entries[plain["ticket_id"]]
    assert (single.holder_email, single.order_ref) == ("", "")
    assert (single.max_entries, single.reentry) == (1, False)
    assert (single.valid_from, single.valid_until) == (None, None)
