"""The organizer's report pages as a browser without scripts uses them: the dashboard's
plots after a sale, orders and attendees searched and exported, live check-in after venue
uploads, the reports, venues with their gates and key rotation. Every page and file is
read by any member, changed only by the right role, and another organisation's is not
found."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cloud.db import make_engine, make_session_factory
from cloud.scans.conflicts import detect_conflicts
from cloud.settings import CloudSettings
from shared.messages import Direction, ScanBatch, encode
from shared.reasons import Reason
from tests.cloud.sync.test_scan_upload import scan
from tests.cloud.web import test_organizer_pages as pages
from tests.cloud.web.test_organizer_pages import Org, Visitor, _buy, _ids, _type_id

# The cloud app (on SQLite) of the organizer page tests.
app_settings = pages.app_settings
app = pages.app

EVENT_PAGES = ["/dashboard", "/orders", "/attendees", "/checkin", "/checkin/live", "/reports"]
EVENT_FILES = [
    "/attendees.csv",
    "/reports/sales.csv",
    "/reports/ticket-types.csv",
    "/reports/gates.csv",
    "/reports/throughput.csv",
    "/checkin/conflicts.csv",
]


def _venue_key(org: Org) -> str:
    """A fresh key for the organisation's first venue, by the owner's rotation form."""
    venues = org.owner.get(f"{org.base}/venues").text
    venue_id = re.search(r"/venues/(\d+)/rotate-key", venues)
    assert venue_id, "the owner is offered a new key"
    answer = org.owner.submit(f"{org.base}/venues/{venue_id.group(1)}/rotate-key")
    key = re.search(r'value="(bvk_[\w-]+)"', answer.text)
    assert answer.status_code == 200 and key, answer.text
    return key.group(1)


def _upload(visitor: Visitor, key: str, *scans: Any) -> None:
    answer = visitor.client.post(
        "/api/v1/venue/scans",
        content=encode(ScanBatch(scans=list(scans))),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text


def _ticket_ids(org: Org, event_path: str, reference: str) -> list[str]:
    page = org.owner.get(f"{event_path}/attendees?q={reference}").text
    return re.findall(r'data-ticket="([A-Z2-7]{20})"', page)


def test_the_dashboard_plots_a_sale(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    type_id = _type_id(org.owner.get(event_path).text)
    _buy(org.owner.client, event_id, type_id, quantity=2)
    _buy(org.owner.client, event_id, type_id, quantity=1)

    page = org.viewer.get(f"{event_path}/dashboard")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'id="figure-sold">3<', html)
    assert re.search(r'id="figure-revenue">€75.00<', html)
    # Plots are inline SVG, each an image with a title and a summary, and figures beside.
    for plot in ("tickets-plot", "total-plot", "revenue-plot-eur", "capacity-plot"):
        svg = re.search(rf'<svg[^>]*id="{plot}"[^>]*>(.*?)</svg>', html, re.S)
        assert svg, plot
        assert f'aria-labelledby="{plot}-title {plot}-desc"' in html
        assert "<title" in svg.group(1) and "<desc" in svg.group(1)
    tickets = re.search(r'<svg[^>]*id="tickets-plot".*?</svg>', html, re.S)
    assert tickets and tickets.group(0).count("<rect") == 1  # one hour of sales
    assert "3 tickets" in tickets.group(0)
    assert re.search(r'id="sales-table".*?<td class="num">2</td><td class="num">3</td>', html, re.S)
    capacity = re.search(r'<desc id="capacity-plot-desc">([^<]*)<', html)
    assert capacity and capacity.group(1) == "Standing: 3 sold, 0 held, 97 left."
    assert "<script" not in html.split("</main>")[0].split("<main")[1]

    by_day = org.viewer.get(f"{event_path}/dashboard?by=day")
    assert "Tickets sold per day" in by_day.text
    assert org.viewer.get(f"{event_path}/dashboard?by=fortnight").status_code == 400


def test_every_member_reads_every_report_and_strangers_find_none(app: Any) -> None:
    ours, theirs = Org(app, "Ours"), Org(app, "Theirs")
    their_event = theirs.event("Their Gig")
    _, their_event_id = _ids(their_event)
    for sub in EVENT_PAGES + EVENT_FILES:
        assert theirs.viewer.get(their_event + sub).status_code == 200, sub
        answer = ours.owner.get(their_event + sub)
        assert answer.status_code == 404, sub
        assert "Their Gig" not in answer.text
        # Their event under our organisation's address is not found either.
        assert ours.owner.get(f"{ours.base}/events/{their_event_id}{sub}").status_code == 404
    assert theirs.viewer.get(f"{theirs.base}/reports").status_code == 200
    assert ours.owner.get(f"{theirs.base}/reports").status_code == 404
    assert ours.owner.get(f"{theirs.base}/reports/events.csv").status_code == 404
    anonymous = Visitor(app).client.get(f"{their_event}/attendees.csv", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/account/login")


def test_only_an_owner_rotates_a_venue_key(app: Any) -> None:
    org = Org(app, "Acme Events")
    org.event()
    venues = org.owner.get(f"{org.base}/venues").text
    venue_id = re.search(r"/venues/(\d+)/rotate-key", venues)
    assert venue_id
    rotate = f"{org.base}/venues/{venue_id.group(1)}/rotate-key"
    first = _venue_key(org)
    for visitor in (org.viewer, org.manager):
        assert "rotate-key" not in visitor.get(f"{org.base}/venues").text
        assert visitor.get(rotate).status_code == 403
        assert visitor.submit(rotate).status_code == 403
    me = org.owner.client.get("/api/v1/venue/me", headers={"Authorization": f"Bearer {first}"})
    assert me.status_code == 200, "refused rotations changed nothing"

    confirm = org.owner.get(rotate)
    assert confirm.status_code == 200 and "stops working at once" in confirm.text
    answer = org.owner.submit(rotate)
    assert answer.headers["cache-control"] == "no-store"
    assert "The old key no longer works" in answer.text
    second = re.search(r'value="(bvk_[\w-]+)"', answer.text)
    assert second and second.group(1) != first
    old = org.owner.client.get("/api/v1/venue/me", headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    new = org.owner.client.get(
        "/api/v1/venue/me", headers={"Authorization": f"Bearer {second.group(1)}"}
    )
    assert new.status_code == 200
    # Shown once: the venues page never shows it again.
    assert second.group(1) not in org.owner.get(f"{org.base}/venues").text

    stranger = Org(app, "Strangers")
    assert stranger.owner.get(rotate).status_code == 404
    assert stranger.owner.submit(rotate).status_code == 404


def test_viewers_see_orders_but_no_way_to_refund(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    type_id = _type_id(org.owner.get(event_path).text)
    references = [_buy(org.owner.client, event_id, type_id, quantity=1) for _ in range(3)]

    viewer_page = org.viewer.get(f"{event_path}/orders").text
    assert all(reference in viewer_page for reference in references)
    assert "Refund<" not in viewer_page and "Cancel<" not in viewer_page
    assert org.viewer.submit(f"{event_path}/orders/{references[0]}/refund").status_code == 403

    manager_page = org.manager.get(f"{event_path}/orders").text
    assert manager_page.count("Refund<") == 3
    org.manager.submit(f"{event_path}/orders/{references[0]}/refund")
    refunded = org.viewer.get(f"{event_path}/orders?status=refunded").text
    assert references[0] in refunded and references[1] not in refunded
    found = org.viewer.get(f"{event_path}/orders?q={references[2].lower()}").text
    assert references[2] in found and references[1] not in found
    assert org.viewer.get(f"{event_path}/orders?status=lost").status_code == 400


def test_attendees_are_searched_filtered_paged_and_exported(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    type_id = _type_id(org.owner.get(event_path).text)
    for quantity in (10, 10, 10, 10, 10, 4):
        _buy(org.owner.client, event_id, type_id, quantity=quantity)  # 54 for "Bea Buyer"
    hold = org.owner.client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "zed@example.org",
            "buyer_name": "=cmd|' /C calc'!A0",
            "items": [{"type_id": type_id, "quantity": 1}],
        },
    )
    token = hold.json()["hold_token"]
    order = org.owner.client.post(f"/api/v1/shop/holds/{token}/checkout").json()["reference"]

    first = org.viewer.get(f"{event_path}/attendees")
    assert first.status_code == 200
    assert re.search(r"<strong>55</strong> tickets match", first.text)
    assert first.text.count("data-ticket=") == 50
    assert "Download 55 rows as CSV" in first.text
    second = org.viewer.get(f"{event_path}/attendees?page=2")
    assert second.text.count("data-ticket=") == 5
    assert "51\N{EN DASH}55 of 55 tickets" in second.text

    found = org.viewer.get(f"{event_path}/attendees?q=ZED%40example")
    assert re.search(r"<strong>1</strong> ticket matches", found.text)
    assert org.viewer.get(f"{event_path}/attendees?q={order}").text.count("data-ticket=") == 1
    assert "Nobody matches" in org.viewer.get(f"{event_path}/attendees?checked_in=in").text
    assert org.viewer.get(f"{event_path}/attendees?type_id=abc").status_code == 400
    assert org.viewer.get(f"{event_path}/attendees?page=0").status_code == 400

    export = org.viewer.get(f"{event_path}/attendees.csv")
    assert export.status_code == 200
    assert export.headers["bilten-row-count"] == "55"
    assert export.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 55
    assert {row["ticket_type"] for row in rows} == {"Standing"}
    assert "'=cmd|' /C calc'!A0" in {row["holder_name"] for row in rows}
    only = org.viewer.get(f"{event_path}/attendees.csv?q=zed%40example.org")
    assert only.headers["bilten-row-count"] == "1"


def test_live_check_in_after_venue_uploads(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    type_id = _type_id(org.owner.get(event_path).text)
    one, two = _ticket_ids(org, event_path, _buy(org.owner.client, event_id, type_id, 2))
    key = _venue_key(org)
    before = org.viewer.get(f"{event_path}/checkin")
    assert before.headers["cache-control"] == "no-store"
    assert "No scans uploaded yet" in before.text
    assert 'data-live-url="' in before.text and "organizer-live.js" in before.text

    now_ms = int(time.time() * 1000)
    _upload(
        org.owner,
        key,
        scan(event_id, one, gate="North", device="dN", wall_ms=now_ms - 90_000),
        scan(event_id, one, gate="North", device="dN", wall_ms=now_ms - 30_000,
             reason=Reason.EXITED, direction=Direction.EXIT),
        scan(event_id, two, gate="South", device="dS", wall_ms=now_ms - 60_000,
             reason=Reason.REVOKED),
    )  # fmt: skip
    live = org.viewer.get(f"{event_path}/checkin/live")
    assert live.status_code == 200 and live.headers["cache-control"] == "no-store"
    assert "<html" not in live.text  # a fragment, for the page's script
    assert re.search(r'id="figure-checked-in">1<', live.text)
    assert re.search(r'id="figure-no-shows">1<', live.text)
    assert re.search(r'id="figure-rejected">1<', live.text)
    plot = re.search(r'<svg[^>]*id="entries-plot".*?</svg>', live.text, re.S)
    assert plot and plot.group(0).count("<rect") == 60
    gates = re.search(r'<table[^>]*id="gates".*?</table>', live.text, re.S)
    assert gates and "North" in gates.group(0) and "South" in gates.group(0)
    # The venues page lists the gates the uploads named.
    venues = org.viewer.get(f"{org.base}/venues").text
    assert re.search(r"<th scope=\"row\">North</th><td class=\"num\">1</td>", venues)

    # The door's times read in the venue's time: in Kolkata (UTC+05:30) once it is set there.
    venue_id = re.search(r'data-venue="(\d+)"', venues)
    assert venue_id
    moved = org.owner.submit(
        f"{org.base}/venues/{venue_id.group(1)}", {"name": "Main Hall", "timezone": "Asia/Kolkata"}
    )
    assert moved.status_code == 200, moved.text
    south = datetime.fromtimestamp(now_ms // 1000 - 60, ZoneInfo("Asia/Kolkata"))
    north = datetime.fromtimestamp(now_ms // 1000 - 90, ZoneInfo("Asia/Kolkata"))
    live = org.viewer.get(f"{event_path}/checkin/live")
    gates = re.search(r'<table[^>]*id="gates".*?</table>', live.text, re.S)
    assert gates and f"{south:%H:%M} IST" in gates.group(0)
    assert f'<th scope="row">{north:%H:%M} IST</th>' in live.text  # the minutes table
    attendees = org.viewer.get(f"{event_path}/attendees").text
    assert f"{north:%H:%M} IST at North" in attendees


def test_check_in_lists_the_newest_conflicts_and_exports_them_all(
    app: Any, app_settings: CloudSettings
) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event()
    _, event_id = _ids(event_path)
    type_id = _type_id(org.owner.get(event_path).text)
    refs = [
        ref
        for _ in range(6)
        for ref in _ticket_ids(org, event_path, _buy(org.owner.client, event_id, type_id, 9))
    ]
    key = _venue_key(org)
    # Two gates that could not see each other each let all 54 tickets in.
    start_ms = int(time.time() * 1000) - 600_000
    _upload(
        org.owner,
        key,
        *(
            scan(event_id, ref, gate=gate, device=device, wall_ms=start_ms + offset + n * 1000)
            for n, ref in enumerate(refs)
            for gate, device, offset in (("North", "dN", 0), ("South", "dS", 300_000))
        ),
    )
    engine = make_engine(app_settings.database_url)
    try:
        assert detect_conflicts(make_session_factory(engine)) == 54
    finally:
        engine.dispose()

    live = org.viewer.get(f"{event_path}/checkin/live").text
    listed = re.search(r'<table[^>]*id="conflicts".*?</table>', live, re.S)
    assert listed and listed.group(0).count('<th scope="row"') == 50
    assert "The newest 50 of 54 are listed" in live
    assert f'href="{event_path}/checkin/conflicts.csv"' in live
    export = org.viewer.get(f"{event_path}/checkin/conflicts.csv")
    assert export.headers["bilten-row-count"] == "54"
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(row["ticket_id"] for row in rows) == sorted(refs)
    assert {(row["admitted_gate"], row["again_gate"]) for row in rows} == {("North", "South")}
    assert {(row["admitted_device"], row["again_device"]) for row in rows} == {
        ("Scanner dN", "Scanner dS")
    }


def test_reports_pages_and_files(app: Any) -> None:
    org = Org(app, "Acme Events")
    event_path = org.event("Spring Gala")
    _, event_id = _ids(event_path)
    type_id = _type_id(org.owner.get(event_path).text)
    _buy(org.owner.client, event_id, type_id, quantity=4)
    reports = org.viewer.get(f"{event_path}/reports")
    assert reports.status_code == 200
    assert re.search(r'id="report-sold">4 of 100', reports.text)
    sales = org.viewer.get(f"{event_path}/reports/sales.csv?by=day")
    [row] = list(csv.DictReader(io.StringIO(sales.content.decode("utf-8-sig"))))
    assert (row["tickets"], row["revenue_EUR"]) == ("4", "100.00")
    types = org.viewer.get(f"{event_path}/reports/ticket-types.csv")
    [row] = list(csv.DictReader(io.StringIO(types.content.decode("utf-8-sig"))))
    assert (row["name"], row["sold"], row["no_shows"], row["price"]) == (
        "Standing",
        "4",
        "4",
        "25.00",
    )
    summary = org.viewer.get(f"{org.base}/reports")
    assert "Spring Gala" in summary.text and re.search(r'id="org-sold">4<', summary.text)
    table = org.viewer.get(f"{org.base}/reports/events.csv")
    assert table.headers["bilten-row-count"] == "1"
    assert "Spring Gala" in table.text
