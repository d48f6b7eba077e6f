"""``/admin``: the platform at a glance: sales and revenue per day as plots, events on
sale, accounts and organisations (those waiting for approval), venue servers and when each
last called."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from cloud.admin.figures import platform_figures
from cloud.clock import now_s
from cloud.deps import Db
from cloud.web.admin.access import BASE, require_admin
from cloud.web.deps import CurrentUser
from cloud.web.organizer.charts import columns
from cloud.web.templating import money, page

PERIODS = (7, 30, 90)


class AdminOverview(Controller):
    path = BASE

    @get("/", sync_to_thread=True)
    def overview(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        days: Annotated[str | None, QueryParameter(max_length=3)] = None,
    ) -> Template:
        admin = require_admin(current_user, request)
        period = int(days) if days in {str(p) for p in PERIODS} else 30
        figures = platform_figures(db, now=now_s(), days=period)
        db.commit()
        currency = figures.currencies[0] if figures.currencies else None
        days_at = [
            (datetime(d.day.year, d.day.month, d.day.day, tzinfo=UTC), d) for d in figures.days
        ]
        revenue_chart = None
        if currency is not None:
            revenue_chart = columns(
                "revenue-per-day",
                f"Revenue per day in {currency}, last {period} days",
                [(moment, day.revenue.get(currency, 0)) for moment, day in days_at],
                when=_day_label,
                value=lambda amount: _whole(money(amount, currency)),
            )
        tickets_chart = columns(
            "tickets-per-day",
            f"Tickets sold per day, last {period} days",
            [(moment, day.tickets) for moment, day in days_at],
            when=_day_label,
            noun=" tickets",
        )
        return page(
            "admin/overview.html",
            section="overview",
            admin=admin,
            figures=figures,
            period=period,
            periods=PERIODS,
            currency=currency,
            revenue_chart=revenue_chart,
            tickets_chart=tickets_chart,
        )


def _day_label(moment: datetime) -> str:
    return f"{moment.day} {moment:%b}"


def _whole(amount: str) -> str:
    """``€150.00`` as ``€150``: axis labels stay short enough for the chart's margin."""
    return amount.removesuffix(".00").replace(".00 ", " ")
