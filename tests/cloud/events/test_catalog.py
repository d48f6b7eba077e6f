"""The storefront's catalogue: published events that have not ended, searchable, soonest
first, each with its cheapest price and whether tickets are left."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.events.catalog import event_page, published_events
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api, Organizer


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


class Organizers:
    def __init__(self, api: Api, client: TestClient[Any]) -> None:
        self.api, self.client = api, client
        self.org = api.signup()
        self.venues: dict[str, int] = {}

    def event(
        self,
        name: str,
        *,
        venue: str = "Main Hall",
        days: float = 10,
        description: str = "",
        published: bool = True,
        prices: tuple[int, ...] = (),
        capacity: int = 100,
    ) -> int:
        if venue not in self.venues:
            self.venues[venue] = self.api.venue(self.org, venue)[0]
        start = datetime.now(UTC) + timedelta(days=days)
        r = self.client.post(
            "/api/v1/events",
            json={
                "name": name,
                "venue_id": self.venues[venue],
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=3)).isoformat(),
                "description": description,
                "published": published,
            },
            headers=self.org.headers,
        )
        assert r.status_code == 201, r.text
        event_id: int = r.json()["event_id"]
        for n, price in enumerate(prices):
            r = self.client.post(
                f"/api/v1/events/{event_id}/ticket-types",
                json={"name": f"Type {n}", "capacity": capacity, "price": price},
                headers=self.org.headers,
            )
            assert r.status_code == 201, r.text
        return event_id

    @property
    def organizer(self) -> Organizer:
        return self.org


@pytest.fixture
def organizers(api: Api, client: TestClient[Any]) -> Organizers:
    return Organizers(api, client)


def _names(client: TestClient[Any], **params: Any) -> list[str]:
    r = client.get("/api/v1/shop/events", params=params)
    assert r.status_code == 200, r.text
    return [card["name"] for card in r.json()]


def test_the_listing_shows_published_events_not_yet_ended_soonest_first(
    organizers: Organizers, client: TestClient[Any]
) -> None:
    organizers.event("Later", days=20)
    organizers.event("Sooner", days=2)
    organizers.event("Draft", days=1, published=False)
    organizers.event("Yesterday", days=-1)  # ended yesterday
    organizers.event("On now", days=-1 / 24)  # started an hour ago, ends in two

    assert _names(client) == ["On now", "Sooner", "Later"]
    assert _names(client, limit=2) == ["On now", "Sooner"]
    assert _names(client, limit=2, offset=2) == ["Later"]
    assert client.get("/api/v1/shop/events", params={"limit": 1000}).status_code == 400


def test_search_finds_words_in_the_name_description_or_venue_in_any_case(
    organizers: Organizers, client: TestClient[Any]
) -> None:
    organizers.event("Jazz Night", venue="Blue Room", days=3)
    organizers.event("String Quartet", venue="Town Hall", days=4, description="Late JAZZ set")
    organizers.event("Techno", venue="Jazzkeller", days=5)
    organizers.event("Jazz Draft", days=1, published=False)

    assert _names(client, q="jazz") == ["Jazz Night", "String Quartet", "Techno"]
    assert _names(client, q="  JAZZ   hall ") == ["String Quartet"]
    assert _names(client, q="blue") == ["Jazz Night"]
    # Wildcards are searched for, not obeyed.
    assert _names(client, q="%") == []
    assert _names(client, q="_") == []


def test_each_card_has_the_lowest_price_availability_and_venue(
    organizers: Organizers, client: TestClient[Any], sessions: sessionmaker[Session]
) -> None:
    cheap = organizers.event("Cheap", prices=(4500, 1500, 9000), venue="Arena")
    sold_out = organizers.event("Full", prices=(2000,), capacity=1, days=11)
    bare = organizers.event("Unpriced", days=12)
    [full_type] = [
        t["type_id"] for t in client.get(f"/api/v1/shop/events/{sold_out}").json()["ticket_types"]
    ]
    organizers.api.issue(organizers.organizer, sold_out, full_type)

    with sessions() as session:
        cards = {
            card.event_id: card
            for card in published_events(session, query=None, now=now_s(), limit=10, offset=0)
        }

    assert (cards[cheap].lowest_price, cards[cheap].currency) == (1500, "EUR")
    assert (cards[cheap].venue_name, cards[cheap].available) == ("Arena", True)
    assert (cards[sold_out].lowest_price, cards[sold_out].available) == (2000, False)
    assert (cards[bare].lowest_price, cards[bare].currency, cards[bare].available) == (
        None,
        None,
        False,
    )
    assert cards[cheap].image is None


def test_an_event_page_shows_a_published_event_and_its_types(
    organizers: Organizers, sessions: sessionmaker[Session]
) -> None:
    shown = organizers.event("Gala", description="Black tie.", prices=(5000, 12000), venue="Opera")
    draft = organizers.event("Secret", published=False, prices=(100,))

    with sessions() as session:
        page = event_page(session, shown, now_s())
        assert event_page(session, draft, now_s()) is None
        assert event_page(session, 999_999, now_s()) is None

    assert page is not None
    assert (page.name, page.description, page.venue_name) == ("Gala", "Black tie.", "Opera")
    assert [(t.price, t.on_sale, t.available) for t in page.ticket_types] == [
        (5000, True, 100),
        (12000, True, 100),
    ]
