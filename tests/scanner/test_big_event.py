"""A stadium-sized event: 1,000,000 tickets in the gate's local list.

Looking a ticket up must cost the same with a million tickets as with a thousand. Instead of
timing anything, the tests count the steps SQLite's virtual machine takes for each lookup
(``set_progress_handler`` with a period of one) and read the query plans: a lookup that walks a
table shows up as steps growing with the table, and as ``SCAN`` in its plan.

The first load of such a list takes a while, so it shows progress and survives being cut off:
a load interrupted by the venue going away resumes at the first page it had not stored.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from scanner_app.core import ScannerCore
from scanner_app.store import MANIFEST_CURSOR, Store
from scanner_app.sync import SyncReport, SyncService, SyncStatus
from shared.clock import HybridClock
from shared.messages import ManifestPage, TicketEntry
from shared.reasons import Reason
from shared.token import TicketClaims
from tests.scanner.gate import DEVICE, TicketMaker
from tests.support import ServerThread, free_port, serving
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

pytestmark = pytest.mark.slow

BIG = 1_000_000
SMALL = 1_000
FILL_PAGE = 5_000
# A lookup by key walks one more B-tree level inside a single opcode, so its steps do not
# grow with the list at all; the allowance is for the odd extra row a range meets.
MAX_STEP_RATIO = 2.0
# The search index is log-structured: a word is looked up in each of its segments, and a
# million tickets leave a handful more segments than a thousand (until they are merged).
# Its steps may grow with the logarithm of the list, never in proportion to it.
MAX_SEARCH_STEP_RATIO = 4.0


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Adele Bruno Carla Dmitri Elif Farid Greta Hiro Ines Jonas Kemal Lotte Mateo Nadia Oskar "
    "Priya Quentin Rosa Sven Tamar Umar Vera Wiebke Xavier Yusuf Zofia Amara Bjorn Chiara "
    "Dario Esme Filip"
)
SURNAMES = _words(
    "Abbott Bakker Castillo Dimitrov Eriksen Fontaine Gallo Hansen Ivanova Jansen Kowalski "
    "Larsen Moreau Nowak Okafor Petrov Quispe Romano Schmidt Tanaka Urban Varga Weber Xu "
    "Yilmaz Zielinski Andersen Berger Costa Dubois Esposito Fischer Garcia Horvat Ito Jovanovic "
    "Keller Lindqvist Meyer Novak Olsen Popescu Quinn Rossi Suzuki Torres Ulrich Vogel Wagner "
    "Young Zimmermann Alves Brandt Conti Dahl Engel Ferrari Graf Hoffmann Iglesias Jung Klein "
    "Lorenz"
)
TYPES = ("Standing", "Seated", "VIP")


def generated_ref(n: int) -> str:
    """A distinct ticket id per number, in the manifest's alphabet, made without any crypto."""
    return base64.b32encode(n.to_bytes(15, "big")).decode("ascii")[-20:]


def generated_ticket(n: int, event_id: int) -> TicketEntry:
    """Ticket ``n`` of a big sale: holder names repeat the way they do in a real crowd."""
    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    last = SURNAMES[(n // len(FIRST_NAMES)) % len(SURNAMES)]
    return TicketEntry(
        ticket_id=generated_ref(n),
        event_id=event_id,
        type_id=1 + n % 3,
        type_name=TYPES[n % 3],
        holder_name=f"{first} {last}",
        holder_email=f"{first}.{last}.{n}@example.org".lower(),
        order_ref=f"B{n // 2:08d}",
    )


@dataclass(frozen=True)
class Guest:
    """A ticket holder whose signed ticket the tests scan."""

    claims: TicketClaims
    token: str
    name: str
    email: str
    order_ref: str

    @property
    def ref(self) -> str:
        return self.claims.ticket_ref

    def entry(self) -> TicketEntry:
        return TicketEntry(
            ticket_id=self.ref,
            event_id=self.claims.event_id,
            type_id=self.claims.type_id,
            type_name=TYPES[0],
            holder_name=self.name,
            holder_email=self.email,
            order_ref=self.order_ref,
        )


@dataclass
class Sale:
    """What the cloud sold: ``size`` tickets, among them the guests the tests scan."""

    maker: TicketMaker
    guests: list[Guest]

    @classmethod
    def make(cls) -> Sale:
        maker = TicketMaker(event_id=7, key_id=70)
        people = [
            ("Ada Lovelace", "ada@lovelace.family", "Q1815ADA"),
            ("Grace Hopper", "grace@hopper.navy", "Q1906GRACE"),
            ("Alan Turing", "alan@turing.bletchley", "Q1912ALAN"),
        ]
        guests = []
        for name, email, order in people:
            claims = maker.claims()
            guests.append(Guest(claims, maker.token(claims), name, email, order))
        return cls(maker, guests)

    def tickets(self, size: int) -> Iterator[TicketEntry]:
        """``size`` tickets in sale order; the guests bought theirs halfway through."""
        crowd = size - len(self.guests)
        yield from (generated_ticket(n, self.maker.event_id) for n in range(crowd // 2))
        yield from (guest.entry() for guest in self.guests)
        yield from (generated_ticket(n, self.maker.event_id) for n in range(crowd // 2, crowd))

    def pages(self, size: int, page_size: int = FILL_PAGE) -> Iterator[ManifestPage]:
        tickets = self.tickets(size)
        number = 0
        while chunk := list(islice(tickets, page_size)):
            number += 1
            yield ManifestPage(
                next_cursor=f"page-{number}",
                has_more=number * page_size < size,
                remaining=max(0, size - number * page_size),
                events=[self.maker.event_entry()],
                keys=[self.maker.key_entry()],
                tickets=chunk,
            )


def filled_store(path: Path, sale: Sale, size: int) -> Store:
    """A paired gate whose list holds ``size`` tickets, stored page by page as a first sync
    does: the search index is built once when the load completes."""
    store = Store(path)
    store.save_device(DEVICE)
    for page in sale.pages(size):
        store.apply_manifest_page(page, index_search=False)
    store.mark_synced(time.time())
    return store


@dataclass
class Event:
    store: Store
    core: ScannerCore
    fill_seconds: float


@pytest.fixture(scope="module")
def sale() -> Sale:
    return Sale.make()


@pytest.fixture(scope="module")
def big_event(tmp_path_factory: pytest.TempPathFactory, sale: Sale) -> Iterator[Event]:
    started = time.perf_counter()
    store = filled_store(tmp_path_factory.mktemp("big") / "scanner.sqlite3", sale, BIG)
    filled = time.perf_counter() - started
    yield Event(store, ScannerCore(store, HybridClock(DEVICE.device_id)), filled)
    store.close()


@pytest.fixture(scope="module")
def small_event(tmp_path_factory: pytest.TempPathFactory, sale: Sale) -> Iterator[Event]:
    started = time.perf_counter()
    store = filled_store(tmp_path_factory.mktemp("small") / "scanner.sqlite3", sale, SMALL)
    filled = time.perf_counter() - started
    yield Event(store, ScannerCore(store, HybridClock(DEVICE.device_id)), filled)
    store.close()


def steps_of(store: Store, action: Callable[[], Any]) -> tuple[int, Any]:
    with store.count_steps() as count:
        result = action()
    return count.steps, result


def lookups(event: Event, guest: Guest) -> dict[str, tuple[int, Any]]:
    """What a gate does with one holder at the door, each with the steps it took: scan the
    ticket, scan it again, and find it by name, email, order number and ticket id."""
    core, store = event.core, event.store

    def shown(result: Any) -> Any:
        return getattr(result, "reason", result)

    return {
        "scan": steps_of(store, lambda: shown(core.scan(guest.token))),
        "scan again": steps_of(store, lambda: shown(core.scan(guest.token))),
        "ticket": steps_of(store, lambda: store.ticket(guest.ref)),
        "movements": steps_of(store, lambda: len(store.movements(guest.ref))),
        "search name": steps_of(
            store, lambda: [t.ticket_id for t in store.search_tickets(guest.name)]
        ),
        "search email": steps_of(
            store, lambda: [t.ticket_id for t in store.search_tickets(guest.email)]
        ),
        "search order": steps_of(
            store, lambda: [t.ticket_id for t in store.search_tickets(guest.order_ref)]
        ),
        "search id": steps_of(
            store, lambda: [t.ticket_id for t in store.search_tickets(guest.ref[:8])]
        ),
        "attendee": steps_of(store, lambda: [a.verdict.reason for a in core.search(guest.name)]),
    }


def allowance(lookup: str) -> float:
    """How many times the steps of ``lookup`` in a thousand tickets a million may take."""
    searches = lookup.startswith(("search", "attendee"))
    return MAX_SEARCH_STEP_RATIO if searches else MAX_STEP_RATIO


def test_a_million_ticket_list_holds_every_ticket_once(big_event: Event, sale: Sale) -> None:
    assert big_event.store.ticket_count() == BIG
    for guest in sale.guests:
        assert big_event.store.ticket(guest.ref) == guest.entry()
    assert big_event.store.cursor(MANIFEST_CURSOR) == f"page-{BIG // FILL_PAGE}"


def test_lookups_in_a_million_tickets_take_the_steps_they_take_in_a_thousand(
    big_event: Event, small_event: Event, sale: Sale
) -> None:
    for core in (big_event.core, small_event.core):
        core.policy  # noqa: B018 - loads keys and events once, as a gate does at start
    guest = sale.guests[0]

    big = lookups(big_event, guest)
    small = lookups(small_event, guest)

    # Same answers...
    assert {name: answer for name, (_, answer) in big.items()} == {
        name: answer for name, (_, answer) in small.items()
    }
    assert big["scan"][1] is Reason.ADMITTED
    assert big["scan again"][1] is Reason.ALREADY_ADMITTED
    assert big["search name"][1] == big["search email"][1] == [guest.ref]
    assert big["search order"][1] == big["search id"][1] == [guest.ref]
    # ...for about the same work.
    costs = {name: (small[name][0], big[name][0]) for name in big}
    too_costly = {name: cost for name, cost in costs.items() if cost[1] > allowance(name) * cost[0]}
    assert not too_costly, f"steps (1,000 tickets, 1,000,000 tickets): {costs}"


def test_a_search_matching_everyone_costs_no_more_with_a_million_tickets(
    big_event: Event, small_event: Event
) -> None:
    everyone = "example.org"  # every generated holder's mail domain
    big_steps, big_found = steps_of(
        big_event.store, lambda: big_event.store.search_tickets(everyone)
    )
    small_steps, small_found = steps_of(
        small_event.store, lambda: small_event.store.search_tickets(everyone)
    )

    assert len(big_found) == len(small_found) == 50
    assert big_steps <= MAX_SEARCH_STEP_RATIO * small_steps, (small_steps, big_steps)


def test_every_lookup_at_the_door_goes_through_an_index(big_event: Event, sale: Sale) -> None:
    guest = sale.guests[1]
    core, store = big_event.core, big_event.store
    with store.statements() as executed:
        core.scan(guest.token)
        core.scan(guest.token)
        core.search(guest.name)
        store.search_tickets(guest.email)
        store.search_tickets(guest.ref[:6])

    queries = [sql for sql in executed if sql.lstrip().upper().startswith("SELECT")]
    assert queries
    for sql in queries:
        plan = store.query_plan(sql)
        # Allowed: the search index's own access, and reading back its bounded candidates (s).
        walks = [
            step
            for step in plan
            if step.startswith("SCAN") and "VIRTUAL TABLE" not in step and step != "SCAN s"
        ]
        assert not walks, f"{sql}\nwalks a table: {plan}"


# -- the first load from a real venue --------------------------------------------------------

FIRST_LOAD = 100_000
VENUE_PAGE = 1_000
CUT_AFTER_PAGES = 40


class ManifestRequests:
    """The venue application as deployed, noting the cursor of every manifest page it serves."""

    def __init__(self, app: Any, cursors: list[str]) -> None:
        self.app = app
        self.cursors = cursors

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v1/manifest":
            self.cursors.append(parse_qs(scope["query_string"].decode()).get("cursor", [""])[0])
        await self.app(scope, receive, send)


@dataclass
class FirstLoad:
    cut: SyncReport
    resumed: SyncReport
    before_cut: list[tuple[int, int]]
    after_cut: list[tuple[int, int]]
    served: list[str]
    store: Store
    venue: VenueStore
    venue_db: Path
    seconds: float = field(default=0.0)


@pytest.fixture(scope="module")
def first_load(tmp_path_factory: pytest.TempPathFactory, sale: Sale) -> Iterator[FirstLoad]:
    folder = tmp_path_factory.mktemp("first-load")
    venue = VenueStore(folder / "venue" / "venue.sqlite3")
    venue.set_cloud_link(CloudLink("http://127.0.0.1:9", "venue-key", "Stadium"))
    for page in sale.pages(FIRST_LOAD):
        apply_manifest_page(venue, page)
    settings = VenueSettings(data_dir=folder / "venue")
    served: list[str] = []
    port = free_port()

    def venue_app() -> ManifestRequests:
        return ManifestRequests(create_app(settings, store=venue, sync=False), served)

    server = ServerThread(venue_app(), port).start()
    store = Store(folder / "scanner" / "scanner.sqlite3")
    sync = SyncService(store, None, page_limit=VENUE_PAGE)
    sync.pair(server.url, issue_pairing_code(venue, "North", 900, int(time.time())), "North 1")
    before_cut: list[tuple[int, int]] = []

    def venue_goes_down_midway(fetched: int, remaining: int) -> None:
        before_cut.append((fetched, remaining))
        if len(before_cut) == CUT_AFTER_PAGES:
            server.stop()

    started = time.perf_counter()
    cut = sync.sync_once(venue_goes_down_midway)
    after_cut: list[tuple[int, int]] = []
    with serving(venue_app(), port):
        resumed = sync.sync_once(lambda fetched, left: after_cut.append((fetched, left)))
    seconds = time.perf_counter() - started
    yield FirstLoad(cut, resumed, before_cut, after_cut, served, store, venue, venue.path, seconds)
    store.close()
    venue.close()


def test_the_first_load_shows_how_much_is_left_from_its_first_page(first_load: FirstLoad) -> None:
    progress = first_load.before_cut + first_load.after_cut
    assert first_load.before_cut[0] == (VENUE_PAGE, FIRST_LOAD - VENUE_PAGE)
    done_before_cut = first_load.before_cut[-1][0]
    # Every step of the way, done + left adds up to the whole list.
    totals = {fetched + left for fetched, left in first_load.before_cut}
    totals |= {done_before_cut + fetched + left for fetched, left in first_load.after_cut}
    assert totals == {FIRST_LOAD}
    assert [left for _, left in progress] == sorted((left for _, left in progress), reverse=True)
    assert progress[-1][1] == 0
    assert all(left > 0 for _, left in progress[:-1])


def test_an_interrupted_first_load_resumes_without_fetching_a_page_twice(
    first_load: FirstLoad,
) -> None:
    cut, resumed = first_load.cut, first_load.resumed
    assert cut.status is SyncStatus.OFFLINE
    assert (cut.first_load, cut.last_synced) == (True, None)
    assert cut.tickets_pulled == CUT_AFTER_PAGES * VENUE_PAGE
    assert resumed.online and resumed.first_load and resumed.last_synced is not None
    assert resumed.tickets_pulled == FIRST_LOAD - cut.tickets_pulled
    pages = -(-FIRST_LOAD // VENUE_PAGE)
    assert len(first_load.served) == pages == len(set(first_load.served))
    # The gate ends with exactly the venue's tickets.
    assert first_load.store.ticket_count() == first_load.venue.ticket_count() == FIRST_LOAD
    conn = sqlite3.connect(f"file:{first_load.store.path}?mode=ro", uri=True)
    try:
        conn.execute("ATTACH DATABASE ? AS venue", (f"file:{first_load.venue_db}?mode=ro",))
        missing = conn.execute(
            "SELECT count(*) FROM tickets t "
            "WHERE NOT EXISTS (SELECT 1 FROM venue.tickets v WHERE v.ticket_id = t.ticket_id)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert missing == 0
