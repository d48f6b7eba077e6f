"""Sales figures, by ticket type and over time, as an organizer reads them: payments count
when they were made, refunds and cancellations when they happened, free tickets are stock
but not money; the same on SQLite and PostgreSQL."""

from __future__ import annotations

from cloud.analytics.buckets import Granularity, auto_granularity
from cloud.analytics.sales import MAX_BUCKETS, sales_buckets, sales_report
from tests.cloud.analytics.conftest import Shop, at


def _sell(shop: Shop) -> dict[str, str]:
    shop.add_type("Standing", price=2500, capacity=100)
    shop.add_type("VIP", price=8000, capacity=10)
    orders = {
        "first": shop.buy(at("2030-05-01 10:15"), Standing=2),
        "vip": shop.buy(at("2030-05-01 10:40"), buyer="Vic Vip", VIP=1),
        "later": shop.buy(at("2030-05-01 12:05"), buyer="Lou Later", Standing=3),
        "kept": shop.buy(at("2030-05-01 12:30"), buyer="Kim Kept", Standing=1),
    }
    shop.give_up(orders["first"], at("2030-05-02 09:10"), refund=True)
    # Cancelled without a refund: the tickets are void, the money stays taken.
    shop.give_up(orders["kept"], at("2030-05-02 09:20"), refund=False)
    shop.comp("VIP", count=2)
    return orders


def test_figures_and_types_count_tickets_stock_and_money(shop: Shop) -> None:
    _sell(shop)
    now = at("2030-05-03 08:00")
    shop.hold(now - 60, buyer="Hal Holder", Standing=4)  # a cart still open
    shop.hold(now - 3600, buyer="Ex Pired", Standing=5)  # its time ran out

    with shop.sessions() as session:
        report = sales_report(session, shop.event_id, now)

    figures = report.figures
    assert (figures.sold, figures.complimentary, figures.held) == (6, 2, 4)
    assert (figures.capacity, figures.available) == (110, 100)
    assert (figures.paid_orders, figures.refunded_orders, figures.cancelled_orders) == (2, 1, 1)
    assert figures.gross == {"EUR": 5000 + 8000 + 7500 + 2500}
    assert figures.refunds == {"EUR": 5000}
    assert figures.revenue == {"EUR": 8000 + 7500 + 2500}
    types = {row.name: row for row in report.types}
    assert (types["Standing"].sold, types["Standing"].held, types["Standing"].available) == (
        3,
        4,
        93,
    )
    assert (types["Standing"].complimentary, types["Standing"].revenue) == (0, 7500 + 2500)
    assert (types["VIP"].sold, types["VIP"].complimentary, types["VIP"].revenue) == (3, 2, 8000)


def test_hourly_buckets_show_payments_refunds_and_a_running_total(shop: Shop) -> None:
    _sell(shop)
    with shop.sessions() as session:
        granularity, buckets = sales_buckets(session, shop.event_id, Granularity.HOUR)

    assert granularity is Granularity.HOUR
    # Every hour from the first payment to the last cancellation, quiet ones as zeros.
    assert buckets[0].start.isoformat() == "2030-05-01T10:00:00+00:00"
    assert buckets[-1].start.isoformat() == "2030-05-02T09:00:00+00:00"
    assert len(buckets) == 24
    by_hour = {bucket.start.strftime("%d %H"): bucket for bucket in buckets}
    ten = by_hour["01 10"]
    assert (ten.orders, ten.tickets, ten.revenue) == (2, 3, {"EUR": 13000})
    assert (by_hour["01 11"].orders, by_hour["01 11"].tickets, by_hour["01 11"].revenue) == (
        0,
        0,
        {},
    )
    noon = by_hour["01 12"]
    assert (noon.tickets, noon.revenue, noon.total_tickets) == (4, {"EUR": 10000}, 7)
    morning = by_hour["02 09"]
    assert (morning.cancelled_tickets, morning.refunds) == (3, {"EUR": 5000})
    # The running total ends where the sale stands: 7 sold, 3 given up; money less refunds.
    assert morning.total_tickets == 4
    assert morning.total_revenue == {"EUR": 18000}


def test_daily_buckets_and_an_automatic_choice(shop: Shop) -> None:
    _sell(shop)
    with shop.sessions() as session:
        daily, days = sales_buckets(session, shop.event_id, Granularity.DAY)
        chosen, _ = sales_buckets(session, shop.event_id)
    assert daily is Granularity.DAY
    assert [(day.start.day, day.tickets, day.cancelled_tickets) for day in days] == [
        (1, 7, 0),
        (2, 0, 3),
    ]
    # A sale of about a day is shown by the hour.
    assert chosen is Granularity.HOUR


def test_an_event_without_payments_has_no_buckets(shop: Shop) -> None:
    shop.add_type("Standing", price=2500)
    shop.hold(at("2030-05-01 10:00"), Standing=1)
    with shop.sessions() as session:
        report = sales_report(session, shop.event_id, at("2030-05-01 10:01"))
    assert report.buckets == []
    assert report.figures.held == 1
    assert report.figures.revenue == {}


def test_granularity_fits_the_span() -> None:
    day = 86_400
    assert auto_granularity(0, 2 * day) is Granularity.HOUR
    assert auto_granularity(0, 30 * day) is Granularity.DAY
    assert auto_granularity(0, 200 * day) is Granularity.WEEK
    # Weeks start on Monday: 2030-05-01 is a Wednesday.
    assert Granularity.WEEK.start(at("2030-05-01 10:15")) == at("2030-04-29 00:00")
    assert Granularity.DAY.start(at("2030-05-01 10:15")) == at("2030-05-01 00:00")
    assert MAX_BUCKETS < 24 * 60


def test_hourly_over_a_long_sale_falls_back_to_days(shop: Shop) -> None:
    shop.add_type("Standing", price=1000)
    shop.buy(at("2030-01-01 10:00"), Standing=1)
    shop.buy(at("2030-05-01 10:00"), Standing=1)
    with shop.sessions() as session:
        chosen, buckets = sales_buckets(session, shop.event_id, Granularity.HOUR)
    assert chosen is Granularity.DAY
    assert len(buckets) == 121
    assert sum(bucket.tickets for bucket in buckets) == 2


def test_currencies_are_kept_apart(shop: Shop) -> None:
    shop.add_type("Standing", price=2500)
    shop.add_type("Import", price=3000, currency="CHF")
    shop.buy(at("2030-05-01 10:00"), Standing=1)
    shop.buy(at("2030-05-01 10:30"), Import=2)
    with shop.sessions() as session:
        report = sales_report(session, shop.event_id, at("2030-05-02 00:00"))
    assert report.figures.revenue == {"CHF": 6000, "EUR": 2500}
    assert report.buckets[-1].total_revenue == {"CHF": 6000, "EUR": 2500}


def _venue_in(shop: Shop, zone: str) -> None:
    moved = shop.client.patch(
        f"/api/v1/venues/{shop.venue_id}", json={"timezone": zone}, headers=shop.organizer.headers
    )
    assert moved.status_code == 200, moved.text


def test_days_are_the_venues_days(shop: Shop) -> None:
    _venue_in(shop, "America/Los_Angeles")
    shop.add_type("Standing", price=2500)
    shop.buy(at("2030-05-01 03:00"), Standing=1)  # 20:00 on 30 April in Los Angeles
    shop.buy(at("2030-05-01 10:00"), buyer="Early Bird", Standing=2)  # 03:00 on 1 May there
    with shop.sessions() as session:
        report = sales_report(session, shop.event_id, at("2030-05-02 00:00"))
        _, days = sales_buckets(session, shop.event_id, Granularity.DAY)
    assert report.timezone == "America/Los_Angeles"
    # Each day starts at the venue's midnight (07:00 UTC in summer).
    assert [(day.start.isoformat(), day.tickets) for day in days] == [
        ("2030-04-30T07:00:00+00:00", 1),
        ("2030-05-01T07:00:00+00:00", 2),
    ]


def test_the_night_clocks_go_back_is_one_day_of_25_hours(shop: Shop) -> None:
    _venue_in(shop, "Europe/Zagreb")
    shop.add_type("Standing", price=2500)
    shop.buy(at("2030-10-26 22:30"), Standing=1)  # 00:30 CEST on 27 October
    shop.buy(at("2030-10-27 22:30"), buyer="Late Lou", Standing=1)  # 23:30 CET, same day
    shop.buy(at("2030-10-27 23:30"), buyer="Next Ned", Standing=1)  # 00:30 on the 28th
    with shop.sessions() as session:
        _, days = sales_buckets(session, shop.event_id, Granularity.DAY)
        _, hours = sales_buckets(session, shop.event_id, Granularity.HOUR)
    assert [(day.start.isoformat(), day.tickets) for day in days] == [
        ("2030-10-26T22:00:00+00:00", 2),
        ("2030-10-27T23:00:00+00:00", 1),
    ]
    # 26 hours from the first sale's to the last's, each counted once, none skipped.
    assert len(hours) == 26 and sum(hour.tickets for hour in hours) == 3
    assert len({hour.start for hour in hours}) == 26
