"""``/admin``: the platform at a glance: sales and revenue per day as plots, events on
sale, accounts and organisations (those waiting for approval), venue servers and when each
last called."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from cloud.admin.figures import platform_figures
from cloud.clock import now_s
from cloud.deps import Db
from cloud.web.admin.access import BASE, require_admin
from cloud.web.deps import CurrentUser
from cloud.web.plots import Point, bar_chart
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
        labels = [f"{day.day:%d %b}" for day in figures.days]
        revenue_plot = None
        if currency is not None:
            revenue_plot = bar_chart(
                [
                    Point(label, day.revenue.get(currency, 0))
                    for label, day in zip(labels, figures.days, strict=True)
                ],
                title=f"Revenue per day in {currency}, last {period} days",
                shown=lambda value: money(value, currency),
            )
        tickets_plot = bar_chart(
            [Point(label, day.tickets) for label, day in zip(labels, figures.days, strict=True)],
            title=f"Tickets sold per day, last {period} days",
        )
        return page(
            "admin/overview.html",
            section="overview",
            admin=admin,
            figures=figures,
            period=period,
            periods=PERIODS,
            currency=currency,
            revenue_plot=revenue_plot,
            tickets_plot=tickets_plot,
        )
