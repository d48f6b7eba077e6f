"""The organizer's pages as a browser uses them: forms with their CSRF field, a cookie
session from the login form, redirects followed. Roles are enforced on every page and form,
another organisation's pages do not exist for a visitor, and a form with a mistake comes back
with a message beside the field and changes nothing."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from functools import cached_property
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.db import make_engine
from cloud.migrate import upgrade
from cloud.settings import CloudSettings
from cloud.users.admins import make_admin

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_FIELD_ERROR = re.compile(r'class="field-error"[^>]*>([^<]+)<')


def _settings(database_url: str, data_dir: Path) -> CloudSettings:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return CloudSettings(
        database_url=database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=data_dir,
        # The test client speaks plain http to a host that is not localhost.
        cookie_secure=False,
    )


@pytest.fixture
def app_settings(tmp_path: Path) -> CloudSettings:
    # Roles and forms behave the same on both databases; the sale test runs on PostgreSQL too.
    return _settings(f"sqlite:///{tmp_path / 'cloud.db'}", tmp_path)


class Visitor:
    """One browser: its own cookies, submitting the forms of the pages it was shown."""

    def __init__(self, app: Any) -> None:
        self.client = TestClient(app)
        self.csrf = ""

    def get(self, path: str) -> Any:
        answer = self.client.get(path)
        if found := _CSRF.search(answer.text):
            self.csrf = found.group(1)
        return answer

    def submit(
        self, path: str, fields: dict[str, Any] | None = None, files: dict[str, Any] | None = None
    ) -> Any:
        if not self.csrf:
            self.get("/organizer")
        data = {"_csrf_token": self.csrf, **(fields or {})}
        answer = self.client.post(path, data=data, files=files)
        if found := _CSRF.search(answer.text):
            self.csrf = found.group(1)
        return answer

    def log_in(self, email: str) -> None:
        self.get("/account/login")
        answer = self.submit("/account/login", {"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        assert "bilten_session" in self.client.cookies


def _sign_up(client: TestClient[Any], email: str, organisation: str | None = None) -> int:
    body = {"email": email, "password": PASSWORD, "name": email.partition("@")[0].title()}
    if organisation:
        body["organisation"] = organisation
    answer = client.post("/api/v1/auth/signup", json=body)
    assert answer.status_code == 201, answer.text
    user_id: int = answer.json()["user_id"]
    return user_id


def _errors(answer: Any) -> list[str]:
    return [unescape(message) for message in _FIELD_ERROR.findall(answer.text)]


class Org:
    """An organisation with an owner, a manager and a viewer (added when first asked for),
    each in their own browser;
    ``event()`` sets up a venue, an event and a ticket type through the pages, and publishes
    it."""

    def __init__(self, app: Any, name: str) -> None:
        self.app = app
        tag = secrets.token_hex(3)
        self.owner = Visitor(app)
        _sign_up(self.owner.client, f"owner-{tag}@example.org", organisation=name)
        self.owner.log_in(f"owner-{tag}@example.org")
        home = self.owner.client.get("/organizer")
        found = re.search(r"/organizer/orgs/(\d+)/events", str(home.url))
        assert found, home.text
        self.org_id = int(found.group(1))
        self.base = f"/organizer/orgs/{self.org_id}"
        self.tag = tag

    @cached_property
    def manager(self) -> Visitor:
        return self._member(f"manager-{self.tag}@example.org", "manager")

    @cached_property
    def viewer(self) -> Visitor:
        return self._member(f"viewer-{self.tag}@example.org", "viewer")

    def _member(self, email: str, role: str) -> Visitor:
        visitor = Visitor(self.app)
        _sign_up(visitor.client, email)
        answer = self.owner.submit(f"{self.base}/team/members", {"email": email, "role": role})
        assert answer.status_code == 200 and "Member added" in answer.text, answer.text
        visitor.log_in(email)
        return visitor

    def event(self, name: str = "Night Concert") -> str:
        """A venue, an event and a ticket type; returns the event page's path."""
        venue = self.owner.submit(f"{self.base}/venues/", {"name": "Main Hall"})
        assert venue.status_code == 201, venue.text
        venue_id = re.search(
            r'<option value="(\d+)"[^>]*>Main Hall', self.owner.get(f"{self.base}/events/new").text
        )
        assert venue_id, "the new venue is offered in the event form"
        created = self.owner.submit(
            f"{self.base}/events",
            {
                "name": name,
                "venue_id": venue_id.group(1),
                "starts_at": "2030-06-01T19:00",
                "ends_at": "2030-06-01T23:00",
                "description": "Doors at seven.",
            },
            files={"image": ("", b"", "application/octet-stream")},
        )
        assert created.status_code == 200 and name in created.text, created.text
        path = str(created.url.path)
        typed = self.owner.submit(
            f"{path}/ticket-types/",
            {
                "name": "Standing",
                "price": "25.00",
                "currency": "EUR",
                "capacity": "100",
                "per_order_limit": "10",
                "max_entries": "1",
            },
        )
        assert typed.status_code == 200 and "Ticket type added" in typed.text, typed.text
        published = self.owner.submit(f"{path}/publish")
        assert published.status_code == 200 and "Published:" in published.text, published.text
        return path


@pytest.fixture
def app(app_settings: CloudSettings) -> Iterator[Any]:
    application = create_app(app_settings)
    with TestClient(application):  # runs the app's startup and shutdown
        yield application


def _buy(
    client: TestClient[Any],
    event_id: int,
    type_id: int,
    quantity: int = 2,
    voucher: str | None = None,
) -> str:
    hold = client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "buyer@example.org",
            "buyer_name": "Bea Buyer",
            "items": [{"type_id": type_id, "quantity": quantity}],
            "voucher": voucher,
        },
    )
    assert hold.status_code == 201, hold.text
    order = client.post(f"/api/v1/shop/holds/{hold.json()['hold_token']}/checkout")
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "paid"
    reference: str = order.json()["reference"]
    return reference


def _ids(path: str) -> tuple[int, int]:
    found = re.search(r"/orgs/(\d+)/events/(\d+)", path)
    assert found
    return int(found.group(1)), int(found.group(2))


def _type_id(page: str) -> int:
    found = re.search(r'action="[^"]*/ticket-types/(\d+)"', page)
    assert found, "the owner sees a form to change the ticket type"
    return int(found.group(1))


def test_a_visitor_without_a_session_is_sent_to_the_login_page(app: Any) -> None:
    visitor = Visitor(app)
    answer = visitor.client.get("/organizer/orgs/1/events", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/account/login?next=/organizer/orgs/1/events")


def test_viewers_read_but_cannot_cancel_refund_or_create(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    reference = _buy(org.owner.client, event_id, _type_id(org.owner.get(event_path).text))

    page = org.viewer.get(event_path)
    assert page.status_code == 200
    assert reference in page.text and "Bea Buyer" in page.text
    # No buttons or forms that change anything are shown to a viewer.
    for hidden in ("Cancel<", "Refund<", "Add a ticket type", "Create a voucher", "Unpublish"):
        assert hidden not in page.text, hidden
    assert "New event" not in org.viewer.get(f"{org.base}/events").text

    # Nor do the routes behind them answer a viewer.
    for action in ("cancel", "refund"):
        assert org.viewer.get(f"{event_path}/orders/{reference}/{action}").status_code == 403
        assert org.viewer.submit(f"{event_path}/orders/{reference}/{action}").status_code == 403
    assert org.viewer.get(f"{org.base}/events/new").status_code == 403
    refused = org.viewer.submit(
        f"{org.base}/events",
        {
            "name": "Sneaky",
            "venue_id": "1",
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T12:00",
        },
        files={"image": ("", b"", "application/octet-stream")},
    )
    assert refused.status_code == 403
    assert org.viewer.submit(f"{event_path}/unpublish").status_code == 403
    assert org.viewer.submit(f"{org.base}/venues/", {"name": "Shed"}).status_code == 403

    # Nothing changed: the order is still paid, and there is still one event.
    page = org.owner.get(event_path)
    assert re.search(rf"{reference}.*?status-paid", page.text, re.S)
    assert "Sneaky" not in org.owner.get(f"{org.base}/events").text


def test_a_manager_refunds_after_confirming(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    reference = _buy(org.owner.client, event_id, _type_id(org.owner.get(event_path).text))

    # Two tickets are sold: the capacity cannot go below that.
    type_id = _type_id(org.manager.get(event_path).text)
    shrink = org.manager.submit(
        f"{event_path}/ticket-types/{type_id}",
        {"price": "25.00", "capacity": "1", "sale_starts_at": "", "sale_ends_at": ""},
    )
    assert shrink.status_code == 409
    assert any("capacity cannot go below the 2 sold" in m for m in _errors(shrink))

    confirm = org.manager.get(f"{event_path}/orders/{reference}/refund")
    assert confirm.status_code == 200
    assert f"Yes, refund order {reference}" in confirm.text
    done = org.manager.submit(f"{event_path}/orders/{reference}/refund")
    assert done.status_code == 200
    assert "Order refunded" in done.text
    assert re.search(rf"{reference}.*?Refunded", done.text, re.S)
    assert re.search(r'id="figure-sold">0<', done.text)
    # Refunding it again changes nothing.
    again = org.manager.submit(f"{event_path}/orders/{reference}/refund")
    assert again.status_code == 409
    assert "nothing to refund" in again.text


def test_managers_cannot_manage_the_team(app: Any) -> None:
    org = Org(app, "Acme Events")
    team = org.manager.get(f"{org.base}/team")
    assert team.status_code == 200 and "Add a member" not in team.text
    answer = org.manager.submit(
        f"{org.base}/team/members", {"email": "someone@example.org", "role": "owner"}
    )
    assert answer.status_code == 403


def test_the_last_owner_cannot_leave_or_be_demoted(app: Any) -> None:
    org = Org(app, "Acme Events")
    team = org.owner.get(f"{org.base}/team").text
    owner_id = re.search(r'/team/members/(\d+)/role"', team)
    assert owner_id
    demoted = org.owner.submit(
        f"{org.base}/team/members/{owner_id.group(1)}/role", {"role": "viewer"}
    )
    assert demoted.status_code == 409
    assert "at least one owner" in demoted.text
    removed = org.owner.submit(f"{org.base}/team/members/{owner_id.group(1)}/remove")
    assert removed.status_code == 409
    assert org.owner.get(f"{org.base}/team").status_code == 200


def test_another_organisations_pages_are_not_found(app: Any) -> None:
    ours, theirs = Org(app, "Ours"), Org(app, "Theirs")
    their_event = theirs.event("Their Gig")
    _, their_event_id = _ids(their_event)
    paths = [
        f"{theirs.base}/events",
        f"{theirs.base}/venues",
        f"{theirs.base}/team",
        their_event,
        # Their event under our organisation's address is not found either.
        f"{ours.base}/events/{their_event_id}",
    ]
    for path in paths:
        answer = ours.owner.get(path)
        assert answer.status_code == 404, path
        assert "Their Gig" not in answer.text
    posted = ours.owner.submit(f"{theirs.base}/venues/", {"name": "Intruder Hall"})
    assert posted.status_code == 404
    assert ours.owner.submit(f"{ours.base}/events/{their_event_id}/unpublish").status_code == 404
    assert "Intruder Hall" not in theirs.owner.get(f"{theirs.base}/venues").text


def test_bad_ticket_type_input_is_shown_and_changes_nothing(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    before = org.owner.get(event_path).text
    answer = org.owner.submit(
        f"{event_path}/ticket-types/",
        {
            "name": "Balcony",
            "price": "12.345",
            "currency": "EUR",
            "capacity": "0",
            "sale_starts_at": "2030-05-01T10:00",
            "sale_ends_at": "2030-04-01T10:00",
            "per_order_limit": "10",
            "max_entries": "1",
        },
    )
    assert answer.status_code == 400
    errors = _errors(answer)
    assert "Price: EUR amounts have at most 2 decimals" in errors
    assert "Capacity must be between 1 and 10000000" in errors
    assert "Sale ends must be after Sale starts" in errors
    # What the organizer typed is still in the form, to correct it.
    assert 'value="12.345"' in answer.text
    after = org.owner.get(event_path).text
    assert "Balcony" not in after
    assert after.count("<tr>") == before.count("<tr>")


def test_a_price_change_is_exact_and_a_bad_one_is_refused(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    type_id = _type_id(org.owner.get(event_path).text)
    change = f"{event_path}/ticket-types/{type_id}"
    good = {"price": "0.29", "capacity": "150", "sale_starts_at": "", "sale_ends_at": ""}
    answer = org.owner.submit(change, good)
    assert answer.status_code == 200 and "Ticket type changed" in answer.text
    # 0.29 in binary floating point is 28.999... cents; parsed exactly it is 29.
    _, event_id = _ids(event_path)
    shop = org.owner.client.get(f"/api/v1/shop/events/{event_id}").json()
    assert [(t["price"], t["currency"]) for t in shop["ticket_types"]] == [(29, "EUR")]

    bad = org.owner.submit(change, {**good, "price": "1.999", "capacity": "0"})
    assert bad.status_code == 400
    assert "Capacity must be between 1 and 10000000" in _errors(bad)
    shop = org.owner.client.get(f"/api/v1/shop/events/{event_id}").json()
    assert shop["ticket_types"][0]["price"] == 29


def test_an_event_that_ends_before_it_starts_is_not_created(app: Any) -> None:
    org = Org(app, "Acme Events")
    org.event("First")
    form = org.owner.get(f"{org.base}/events/new")
    assert "UTC" in form.text
    venue_id = re.search(r'<option value="(\d+)"[^>]*>Main Hall', form.text)
    assert venue_id
    answer = org.owner.submit(
        f"{org.base}/events",
        {
            "name": "Backwards",
            "venue_id": venue_id.group(1),
            "starts_at": "2030-06-01T23:00",
            "ends_at": "2030-06-01T19:00",
        },
        files={"image": ("", b"", "application/octet-stream")},
    )
    assert answer.status_code == 400
    assert "Ends must be after Starts" in _errors(answer)
    assert 'value="Backwards"' in answer.text
    assert "Backwards" not in org.owner.get(f"{org.base}/events").text


def test_a_new_venue_shows_its_key_once(app: Any) -> None:
    org = Org(app, "Acme Events")
    created = org.owner.submit(f"{org.base}/venues/", {"name": "Riverside"})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    key = re.search(r"bvk_[\w-]+", created.text)
    assert key
    # The key opens the venue API, and is never shown again.
    manifest = org.owner.client.get(
        "/api/v1/venue/manifest", headers={"Authorization": f"Bearer {key.group(0)}"}
    )
    assert manifest.status_code == 200, manifest.text
    assert key.group(0) not in org.owner.get(f"{org.base}/venues").text


def test_vouchers_are_created_used_and_deactivated(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    create = f"{event_path}/vouchers/"

    bad = org.manager.submit(create, {"code": "EARLY", "kind": "percent", "value": "150"})
    assert bad.status_code == 400
    assert "Percent off must be between 1 and 100" in _errors(bad)
    made = org.manager.submit(
        create, {"code": "early", "kind": "percent", "value": "20", "max_uses": "5"}
    )
    assert made.status_code == 200 and "Voucher created" in made.text
    again = org.manager.submit(create, {"code": "EARLY", "kind": "amount", "value": "5.00"})
    assert again.status_code == 400
    assert any("already has a voucher" in message for message in _errors(again))

    _buy(org.owner.client, event_id, _type_id(org.owner.get(event_path).text), 2, "early")
    page = org.viewer.get(event_path).text
    row = re.search(r"<th[^>]*>EARLY</th>(.*?)</tr>", page, re.S)
    assert row
    assert "20% off" in row.group(1) and "2 / 5" in row.group(1) and "Active" in row.group(1)
    # Two tickets at 25.00, 20% off each.
    assert "€40.00" in page
    assert "Deactivate" not in page  # a viewer's page

    voucher_id = re.search(r"/vouchers/(\d+)/deactivate", org.manager.get(event_path).text)
    assert voucher_id
    assert (
        org.viewer.submit(f"{event_path}/vouchers/{voucher_id.group(1)}/deactivate").status_code
        == 403
    )
    off = org.manager.submit(f"{event_path}/vouchers/{voucher_id.group(1)}/deactivate")
    assert "Voucher deactivated" in off.text
    row = re.search(r"<th[^>]*>EARLY</th>(.*?)</tr>", off.text, re.S)
    assert row and "Inactive" in row.group(1)


def test_a_voucher_can_be_good_for_some_of_the_ticket_types(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    for name in ("Seated", "VIP"):
        added = org.owner.submit(
            f"{event_path}/ticket-types/",
            {"name": name, "price": "40.00", "currency": "EUR", "capacity": "50",
             "per_order_limit": "4", "max_entries": "1"},
        )  # fmt: skip
        assert added.status_code == 200, added.text
    page = org.manager.get(event_path).text
    boxes = {
        name: type_id
        for type_id, name in re.findall(
            r'<input id="v-type_ids-(\d+)"[^>]*type="checkbox"[^>]*>\s*<label[^>]*>([^<]+)</label>',
            page,
        )
    }
    assert sorted(boxes) == ["Seated", "Standing", "VIP"]
    create = f"{event_path}/vouchers/"
    fans = {"code": "FANS", "kind": "percent", "value": "10"}

    stranger = org.manager.submit(create, {**fans, "type_ids": [boxes["VIP"], "999999"]})
    assert stranger.status_code == 400
    assert "Choose among this event's ticket types" in _errors(stranger)
    typo = org.manager.submit(
        create, {**fans, "value": "", "type_ids": [boxes["Standing"], boxes["Seated"]]}
    )
    assert typo.status_code == 400
    ticked = re.findall(r'id="v-type_ids-(\d+)"[^>]*checked', typo.text)
    assert sorted(ticked) == sorted([boxes["Standing"], boxes["Seated"]])  # kept as ticked
    made = org.manager.submit(create, {**fans, "type_ids": [boxes["Standing"], boxes["Seated"]]})

    assert made.status_code == 200 and "Voucher created" in made.text
    row = re.search(r"<th[^>]*>FANS</th>(.*?)</tr>", made.text, re.S)
    assert row and "Standing, Seated" in row.group(1) and "VIP" not in row.group(1)
    _buy(org.owner.client, event_id, int(boxes["Seated"]), 1, "fans")
    refused = org.owner.client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "buyer@example.org",
            "buyer_name": "Bea Buyer",
            "items": [{"type_id": int(boxes["VIP"]), "quantity": 1}],
            "voucher": "fans",
        },
    )
    assert refused.status_code in (400, 409)
    assert "does not apply" in refused.json()["detail"]


def test_owners_add_members_by_the_email_of_their_account(app: Any) -> None:
    org = Org(app, "Acme Events")
    unknown = org.owner.submit(
        f"{org.base}/team/members", {"email": "nobody@example.org", "role": "viewer"}
    )
    assert unknown.status_code == 400
    assert any("no account with this email" in message for message in _errors(unknown))

    viewer = org.viewer  # added by the owner through the same form
    assert viewer.get(f"{org.base}/events").status_code == 200
    team = org.owner.get(f"{org.base}/team").text
    viewer_id = re.search(r'/team/members/(\d+)/remove"', team.split("viewer-")[1])
    assert viewer_id
    promoted = org.owner.submit(
        f"{org.base}/team/members/{viewer_id.group(1)}/role", {"role": "manager"}
    )
    assert "Role changed" in promoted.text
    assert viewer.get(f"{org.base}/events/new").status_code == 200
    removal = f"{org.base}/team/members/{viewer_id.group(1)}/remove"
    # Remove asks first, saying who and what they lose; asking changes nothing.
    asked = org.owner.get(removal)
    assert asked.status_code == 200
    assert "loses access to Acme Events at once" in asked.text
    assert f'<form method="post" action="{removal}"' in asked.text
    assert viewer.get(f"{org.base}/events/new").status_code == 200
    assert org.viewer.get(removal).status_code == 403  # only owners are asked
    removed = org.owner.submit(removal)
    assert "Member removed" in removed.text
    assert viewer.get(f"{org.base}/events").status_code == 404
    assert org.owner.get(removal).status_code == 404  # no longer a member


def test_a_file_that_is_not_a_picture_changes_nothing(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    answer = org.owner.submit(
        f"{event_path}/image", files={"image": ("poster.png", b"<svg></svg>", "image/png")}
    )
    assert answer.status_code == 400
    assert "Picture: only JPEG, PNG and WebP images are accepted" in _errors(answer)
    assert "event-thumb" not in org.owner.get(event_path).text


def test_a_platform_admin_opens_any_organisation(app: Any) -> None:
    org = Org(app, "Acme Events")
    org.event("Admin Can See")
    admin = Visitor(app)
    with app.state.session_factory() as db:
        make_admin(
            db,
            "admin@example.org",
            name="Ada Admin",
            password=lambda: PASSWORD,
            now=int(time.time()),
        )
    admin.log_in("admin@example.org")
    page = admin.get(f"{org.base}/events")
    assert page.status_code == 200 and "Admin Can See" in page.text
    assert "New event" in page.text


@pytest.mark.postgres
def test_postgres_sale_figures_and_refund(postgres_url: str, tmp_path: Path) -> None:
    application = create_app(_settings(postgres_url, tmp_path))
    with TestClient(application):
        org = Org(application, "Acme Events")
        event_path = org.event()
        _, event_id = _ids(event_path)
        type_id = _type_id(org.owner.get(event_path).text)
        first = _buy(org.owner.client, event_id, type_id, quantity=2)
        _buy(org.owner.client, event_id, type_id, quantity=1)
        page = org.manager.get(event_path).text
        assert re.search(r'id="figure-sold">3<', page)
        assert "€75.00" in page
        org.manager.submit(f"{event_path}/orders/{first}/refund")
        page = org.manager.get(event_path).text
        assert re.search(r'id="figure-sold">1<', page)
        assert "€25.00" in page


def test_organizers_type_and_read_times_in_the_venues_time_zone(app: Any) -> None:
    org = Org(app, "Acme Events")
    added = org.owner.submit(
        f"{org.base}/venues/", {"name": "Lisinski Hall", "timezone": "Europe/Zagreb"}
    )
    assert added.status_code == 201, added.text
    assert "Time zone Europe/Zagreb" in added.text
    found = re.search(
        r'<option value="(\d+)"[^>]*>Lisinski Hall \(Europe/Zagreb\)',
        org.owner.get(f"{org.base}/events/new").text,
    )
    assert found, "the event form names each venue's zone"
    fields = {"name": "Summer Night", "venue_id": found.group(1), "description": ""}
    no_image = {"image": ("", b"", "application/octet-stream")}

    # 02:30 never happens in Zagreb on the night clocks go forward.
    skipped = org.owner.submit(
        f"{org.base}/events",
        {**fields, "starts_at": "2030-03-31T02:30", "ends_at": "2030-03-31T05:00"},
        files=no_image,
    )
    assert skipped.status_code == 400
    assert _errors(skipped) == [
        "Starts: 2030-03-31 02:30 does not exist in Europe/Zagreb: clocks go forward"
    ]
    assert "Summer Night" not in org.owner.get(f"{org.base}/events").text

    created = org.owner.submit(
        f"{org.base}/events",
        {**fields, "starts_at": "2030-06-01T20:00", "ends_at": "2030-06-01T23:00"},
        files=no_image,
    )
    assert created.status_code == 200, created.text
    # Typed as Zagreb's 20:00, kept as the moment 18:00 UTC, shown as typed.
    assert '<time datetime="2030-06-01T18:00:00Z">Sat 1 Jun 2030, 20:00 CEST</time>' in created.text
    assert 'name="starts_at" type="datetime-local" value="2030-06-01T20:00"' in created.text
    assert "Europe/Zagreb time, the venue&#39;s" in created.text
    event_path = str(created.url.path)
    typed = org.owner.submit(
        f"{event_path}/ticket-types/",
        {
            "name": "Standing",
            "price": "25.00",
            "currency": "EUR",
            "capacity": "100",
            "per_order_limit": "10",
            "max_entries": "1",
            "sale_starts_at": "2030-05-01T10:00",
        },
    )
    assert typed.status_code == 200, typed.text
    assert "Wed 1 May 2030, 10:00 CEST \u2013 the end" in typed.text
    listed = org.owner.get(f"{org.base}/events").text
    assert "Sat 1 Jun 2030, 20:00 CEST" in listed

    # The venue moves to New York's zone (it was set wrong): the event keeps its moment and
    # is shown in the new zone's time. A zone that does not exist changes nothing.
    venue_id = found.group(1)
    wrong = org.owner.submit(
        f"{org.base}/venues/{venue_id}", {"name": "Lisinski Hall", "timezone": "Mars/Olympus"}
    )
    assert wrong.status_code == 400
    assert "&#39;Mars/Olympus&#39; is not a time zone" in wrong.text
    assert "Sat 1 Jun 2030, 20:00 CEST" in org.owner.get(event_path).text
    moved = org.owner.submit(
        f"{org.base}/venues/{venue_id}", {"name": "Lisinski Hall", "timezone": "America/New_York"}
    )
    assert moved.status_code == 200 and "Saved." in moved.text, moved.text
    shown = org.owner.get(event_path).text
    assert '<time datetime="2030-06-01T18:00:00Z">Sat 1 Jun 2030, 14:00 EDT</time>' in shown
    # A viewer may not change a venue.
    refused = org.viewer.submit(
        f"{org.base}/venues/{venue_id}", {"name": "Shed", "timezone": "UTC"}
    )
    assert refused.status_code == 403
    assert "Lisinski Hall" in org.owner.get(f"{org.base}/venues/").text


def test_a_manager_emails_an_orders_tickets_to_the_corrected_address(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    reference = _buy(org.owner.client, event_id, _type_id(org.owner.get(event_path).text))
    action = f"{event_path}/orders/{reference}/email"
    assert f'action="{action}"' in org.manager.get(event_path).text

    form = org.manager.get(action)
    assert form.status_code == 200 and 'value="buyer@example.org"' in form.text
    wrong = org.manager.submit(action, {"email": "bea at example"})
    assert wrong.status_code == 400
    assert _errors(wrong) == ["Send to must be an address like name@example.org"]
    sent = org.manager.submit(action, {"email": "bea@example.org"})
    assert sent.status_code == 200, sent.text
    assert "on their way to the buyer again" in sent.text
    assert re.search(
        rf"{reference}</th>\s*<td>Bea Buyer<br><span class=\"muted\">bea@example.org", sent.text
    )

    # A viewer sees no such button and may not send.
    assert f'action="{action}"' not in org.viewer.get(event_path).text
    assert org.viewer.get(action).status_code == 403
    assert org.viewer.submit(action, {"email": "x@example.org"}).status_code == 403


def test_a_manager_edits_the_details_and_turns_giving_tickets_off(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    page = org.manager.get(event_path).text
    assert re.search(r'name="allow_giving" type="checkbox" value="1" checked', page)
    details = {
        "name": "Night Concert, late",
        "starts_at": "2030-06-01T20:00",
        "ends_at": "2030-06-01T23:30",
        "description": "Doors at eight.\nNames are checked at the door.",
    }
    saved = org.manager.submit(f"{event_path}/details", details)  # the box left unticked
    assert saved.status_code == 200, saved.text
    assert "Night Concert, late" in saved.text and "Doors at eight." in saved.text
    assert re.search(r'name="allow_giving" type="checkbox" value="1"(?! checked)', saved.text)

    buyer = TestClient(app)
    hold = buyer.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "buyer@example.org",
            "buyer_name": "Bea Buyer",
            "items": [{"type_id": _type_id(saved.text), "quantity": 2}],
        },
    )
    token = hold.json()["hold_token"]
    assert buyer.post(f"/api/v1/shop/holds/{token}/checkout").status_code == 201
    order_page = buyer.get(f"/orders/{token}").text
    assert "Give this ticket to someone" not in order_page
    assert "does not allow passing tickets on" in order_page
    # Buyers read it before they buy.
    assert "the organizer does not allow passing them on" in buyer.get(f"/events/{event_id}").text

    again = org.manager.submit(f"{event_path}/details", {**details, "allow_giving": "1"})
    assert again.status_code == 200, again.text
    assert buyer.get(f"/orders/{token}").text.count("Give this ticket to someone") == 2
    # A viewer may not change it.
    assert org.viewer.submit(f"{event_path}/details", details).status_code == 403
