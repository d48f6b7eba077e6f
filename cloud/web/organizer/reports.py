"""Reports as pages and CSV files: one event's sales, attendance and gate throughput, and
the organisation's events side by side. The CSV files are the JSON API's
(cloud.analytics.controllers), served here behind the page session."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Stream, Template

from cloud.analytics.attendance import attendance_report
from cloud.analytics.downloads import table_download
from cloud.analytics.portfolio import portfolio_report
from cloud.analytics.sales import sales_report
from cloud.analytics.tables import (
    gates_table,
    portfolio_table,
    sales_table,
    throughput_table,
    ticket_types_table,
)
from cloud.analytics.throughput import throughput_report
from cloud.clock import now_s
from cloud.deps import Db
from cloud.events.service import own_event, own_event_zone
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.charts import stacked_bars
from cloud.web.organizer.dashboard import granularity_of
from cloud.web.templating import page

EVENT = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/reports"


class EventReports(Controller):
    path = EVENT

    @get("/", sync_to_thread=True)
    def reports(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        event = own_event(db, org.org_id, event_id)
        now = now_s()
        sales = sales_report(db, event_id, now)
        attendance = attendance_report(db, event_id, now)
        throughput = throughput_report(db, event_id)
        db.commit()
        by_gate = stacked_bars(
            "gates-plot",
            "Entries by gate",
            [
                (gate.gate or "(no name)", [("bar-admitted", gate.admitted)])
                for gate in throughput.gates
            ],
            (("bar-admitted", "Entries"),),
        )
        return page(
            "organizer/reports.html",
            org=org,
            event=event,
            sales=sales,
            attendance=attendance,
            throughput=throughput,
            by_gate=by_gate,
        )

    @get("/sales.csv", sync_to_thread=True)
    def sales_csv(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Stream:
        org = org_page(db, current_user, request, org_id)
        chosen = granularity_of(request.query_params.get("by"))
        own_event(db, org.org_id, event_id)
        table = sales_table(sales_report(db, event_id, now_s(), chosen))
        return table_download(f"sales-event-{event_id}.csv", table)

    @get("/ticket-types.csv", sync_to_thread=True)
    def ticket_types_csv(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Stream:
        org = org_page(db, current_user, request, org_id)
        own_event(db, org.org_id, event_id)
        now = now_s()
        table = ticket_types_table(
            sales_report(db, event_id, now), attendance_report(db, event_id, now)
        )
        return table_download(f"ticket-types-event-{event_id}.csv", table)

    @get("/gates.csv", sync_to_thread=True)
    def gates_csv(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Stream:
        org = org_page(db, current_user, request, org_id)
        zone = own_event_zone(db, org.org_id, event_id)
        table = gates_table(attendance_report(db, event_id, now_s()), zone)
        return table_download(f"gates-event-{event_id}.csv", table)

    @get("/throughput.csv", sync_to_thread=True)
    def throughput_csv(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Stream:
        org = org_page(db, current_user, request, org_id)
        zone = own_event_zone(db, org.org_id, event_id)
        table = throughput_table(throughput_report(db, event_id), zone)
        return table_download(f"throughput-event-{event_id}.csv", table)


class OrganisationReports(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/reports"

    @get("/", sync_to_thread=True)
    def reports(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        report = portfolio_report(db, org.org_id)
        db.commit()
        return page("organizer/org_reports.html", org=org, report=report)

    @get("/events.csv", sync_to_thread=True)
    def events_csv(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Stream:
        org = org_page(db, current_user, request, org_id)
        table = portfolio_table(portfolio_report(db, org.org_id))
        return table_download(f"events-organisation-{org.org_id}.csv", table)
