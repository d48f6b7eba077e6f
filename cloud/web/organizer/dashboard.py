"""An event's sales dashboard: the headline figures, sales and money over time, and each
ticket type's capacity as sold, held and left, as plots with their figures beside them."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from cloud.analytics.buckets import Granularity
from cloud.analytics.sales import sales_report
from cloud.analytics.schemas import SalesReport
from cloud.clock import now_s
from cloud.deps import Db
from cloud.errors import InvalidInput
from cloud.events.service import own_event
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.charts import Chart, columns, running_total, stacked_bars
from cloud.web.organizer.moments import NOUNS, label_for
from cloud.web.templating import money, page

CAPACITY_PARTS = (("bar-sold", "Sold"), ("bar-held", "Held"), ("bar-left", "Left"))


def granularity_of(value: str | None) -> Granularity | None:
    """The ``by`` query parameter: hour, day, week, or empty for the automatic choice."""
    if not value:
        return None
    try:
        return Granularity(value)
    except ValueError:
        raise InvalidInput("by must be hour, day or week") from None


def sales_charts(report: SalesReport) -> list[Chart]:
    when = label_for(report.granularity, report.timezone)
    noun = NOUNS[report.granularity]
    buckets = report.buckets
    charts = [
        columns(
            "tickets-plot",
            f"Tickets sold per {noun}",
            [(b.start, b.tickets) for b in buckets],
            when=when,
            noun=" tickets",
        ),
        running_total(
            "total-plot",
            "Tickets sold so far, less cancellations",
            [(b.start, b.total_tickets) for b in buckets],
            when=when,
            noun=" tickets",
        ),
    ]
    currencies = sorted({currency for b in buckets for currency in b.revenue})
    for currency in currencies:
        charts.append(
            columns(
                f"revenue-plot-{currency.lower()}",
                f"Revenue per {noun} ({currency})",
                [(b.start, b.revenue.get(currency, 0)) for b in buckets],
                when=when,
                value=partial(money, currency=currency),
            )
        )
    return charts


def capacity_chart(report: SalesReport) -> Chart:
    rows = [
        (row.name, [("bar-sold", row.sold), ("bar-held", row.held), ("bar-left", row.available)])
        for row in report.types
    ]
    return stacked_bars("capacity-plot", "Capacity by ticket type", rows, CAPACITY_PARTS)


class DashboardPage(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/dashboard"

    @get("/", sync_to_thread=True)
    def dashboard(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        chosen = granularity_of(request.query_params.get("by"))
        event = own_event(db, org.org_id, event_id)
        report = sales_report(db, event_id, now_s(), chosen)
        db.commit()
        return page(
            "organizer/dashboard.html",
            org=org,
            event=event,
            report=report,
            charts=sales_charts(report),
            capacity=capacity_chart(report),
            chosen=chosen,
            when=label_for(report.granularity, report.timezone),
            granularities=list(Granularity),
        )
