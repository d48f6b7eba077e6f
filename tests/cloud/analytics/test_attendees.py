"""The attendee list as an organizer searches and filters it through the API, and its CSV
export: every matching ticket, the count announced before the file, cells a spreadsheet
cannot run as formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from cloud.analytics.attendees import AttendeeFilter, export_batches, plan_export
from cloud.analytics.csv_export import safe_cell
from tests.cloud.analytics.conftest import Shop, at
from tests.cloud.analytics.test_attendance import Night, night  # noqa: F401
from tests.cloud.sync.test_scan_upload import scan


def _names(shop: Shop, **params: Any) -> list[str]:
    body = shop.get("/attendees", **params).json()
    return [row["holder_name"] for row in body["attendees"]]


def test_search_by_name_email_order_and_ticket(shop: Shop, night: Night) -> None:  # noqa: F811
    assert _names(shop, q="twomb") == ["Cy Twombly"]
    assert _names(shop, q="ADA LOVE") == ["Ada Lovelace"]
    assert _names(shop, q="dee@example") == ["Dee Dee"]
    assert _names(shop, q=night.guest.lower()) == ["Gus Guest"]
    order = shop.get("/attendees", q=night.bo).json()["attendees"][0]["order_ref"]
    assert _names(shop, q=order.lower()) == ["Bo Diddley"]
    # LIKE's wildcards are taken literally.
    assert _names(shop, q="%") == []
    assert _names(shop, q="_") == []


def test_filters_and_pages(shop: Shop, night: Night) -> None:  # noqa: F811
    everyone = ["Ada Lovelace", "Bo Diddley", "Cy Twombly", "Dee Dee", "Gus Guest"]
    assert _names(shop) == everyone
    assert _names(shop, checked_in="true") == ["Ada Lovelace", "Bo Diddley", "Cy Twombly"]
    assert _names(shop, checked_in="false") == ["Dee Dee", "Gus Guest"]
    assert _names(shop, status="revoked") == ["Ray Refund", "Ray Refund"]
    assert len(_names(shop, status="all")) == 7
    vip = shop.types["VIP"]
    assert _names(shop, type_id=vip) == ["Gus Guest"]
    page = shop.get("/attendees", limit=2, offset=2).json()
    assert page["total"] == 5
    assert [row["holder_name"] for row in page["attendees"]] == ["Cy Twombly", "Dee Dee"]


def test_rows_say_when_and_where_a_ticket_was_first_used(shop: Shop, night: Night) -> None:  # noqa: F811
    [cy] = shop.get("/attendees", q=night.cy).json()["attendees"]
    assert cy["admissions"] == 2
    assert cy["first_gate"] == "North"
    assert cy["first_admitted_at"] == "2030-06-01T19:00:40Z"
    assert cy["type_name"] == "Standing" and cy["revoked"] is False
    [dee] = shop.get("/attendees", q=night.dee).json()["attendees"]
    assert (dee["admissions"], dee["first_gate"], dee["first_admitted_at"]) == (0, None, None)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"status": "gone"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "500"}, "limit"),
        ({"checked_in": "maybe"}, "checked_in"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_are_refused(shop: Shop, query: dict[str, str], problem: str) -> None:
    r = shop.client.get(
        f"/api/v1/events/{shop.event_id}/attendees", params=query, headers=shop.organizer.headers
    )
    assert r.status_code == 400, r.text
    assert problem in r.text


def _csv(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_csv_export_holds_every_matching_ticket(shop: Shop, night: Night) -> None:  # noqa: F811
    r = shop.get("/attendees.csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["bilten-row-count"] == "5"
    rows = _csv(r.content)
    assert len(rows) == 5
    by_name = {row["holder_name"]: row for row in rows}
    assert by_name["Cy Twombly"]["checked_in"] == "yes"
    assert by_name["Cy Twombly"]["first_gate"] == "North"
    assert by_name["Dee Dee"]["checked_in"] == "no"
    assert by_name["Gus Guest"]["ticket_type"] == "VIP"
    revoked = shop.get("/attendees.csv", status="revoked")
    assert revoked.headers["bilten-row-count"] == "2"
    assert {row["status"] for row in _csv(revoked.content)} == {"revoked"}


def test_csv_cells_are_escaped_and_never_formulas(shop: Shop) -> None:
    shop.add_type("Standing", price=0)
    hostile = [
        '=HYPERLINK("http://evil.example","click")',
        "+1 555 0100",
        "-2+3",
        "@SUM(A1:A2)",
        'Smith, "Jo"',
    ]
    for name in hostile:
        shop.buy(at("2030-05-01 10:00"), buyer=name, Standing=1)
    rows = _csv(shop.get("/attendees.csv").content)
    names = sorted(row["holder_name"] for row in rows)
    assert names == sorted(
        [
            '\'=HYPERLINK("http://evil.example","click")',
            "'+1 555 0100",
            "'-2+3",
            "'@SUM(A1:A2)",
            'Smith, "Jo"',
        ]
    )


def test_safe_cells() -> None:
    assert safe_cell("\tTAB") == "'\tTAB"
    assert safe_cell("\r=1") == "'\r=1"
    assert safe_cell("a=b") == "a=b"
    # Numbers the reports compute stay numbers, negative ones too.
    assert safe_cell(-3) == -3
    assert safe_cell(True) == "yes"
    assert safe_cell(None) == ""


def test_export_reads_in_batches_and_stops_at_the_counted_rows(shop: Shop) -> None:
    shop.add_type("Standing", price=0)
    for number in range(7):
        shop.buy(at("2030-05-01 10:00") + number, buyer=f"Person {number}", Standing=1)
    with shop.sessions() as session:
        plan = plan_export(session, shop.event_id, AttendeeFilter())
    # Sold after the count: not in this export, which holds what it announced.
    shop.buy(at("2030-05-01 11:00"), buyer="Late Comer", Standing=1)
    batches = list(export_batches(shop.sessions, shop.event_id, AttendeeFilter(), plan, batch=3))
    assert plan.rows == 7
    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert [row.holder_name for batch in batches for row in batch] == [
        f"Person {number}" for number in range(7)
    ]


def test_a_scan_for_a_ticket_of_another_event_does_not_check_it_in(shop: Shop) -> None:
    shop.add_type("Standing", price=0)
    [ticket] = shop.tickets(shop.buy(at("2030-05-01 10:00"), Standing=1))
    shop.upload(scan(shop.event_id + 1000, ticket))
    assert _names(shop, checked_in="true") == []
