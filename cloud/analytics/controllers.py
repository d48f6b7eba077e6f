"""The reports over the JSON API: an event's sales, attendance, gate throughput and
attendees (``/api/v1/events/{event_id}/...``), and the organisation's events side by side
(``/api/v1/reports/events``). Each is also a CSV file at the same path with ``.csv``.
Every member of the organisation may read them (viewer and up)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream
from sqlalchemy.orm import Session

from cloud.analytics.attendance import attendance_report
from cloud.analytics.attendees import MAX_PAGE, AttendeeFilter, attendee_page
from cloud.analytics.buckets import Granularity
from cloud.analytics.downloads import attendees_download, table_download
from cloud.analytics.portfolio import portfolio_report
from cloud.analytics.sales import sales_report
from cloud.analytics.schemas import (
    AttendanceReport,
    AttendeePage,
    PortfolioReport,
    SalesReport,
    ThroughputReport,
)
from cloud.analytics.search import MAX_QUERY, cleaned
from cloud.analytics.tables import (
    gates_table,
    portfolio_table,
    sales_table,
    throughput_table,
    ticket_types_table,
)
from cloud.analytics.throughput import throughput_report
from cloud.clock import now_s
from cloud.deps import Db, OrganizerId
from cloud.events.service import own_event, own_event_zone

Validity = Literal["valid", "revoked", "all"]
_REVOKED: dict[str, bool | None] = {"valid": False, "revoked": True, "all": None}


def _own(db: Session, organizer_id: int, event_id: int) -> None:
    own_event(db, organizer_id, event_id)


def attendee_filter(
    q: str | None, type_id: int | None, checked_in: bool | None, status: Validity
) -> AttendeeFilter:
    return AttendeeFilter(
        query=cleaned(q), type_id=type_id, checked_in=checked_in, revoked=_REVOKED[status]
    )


class EventReportsController(Controller):
    path = "/api/v1/events/{event_id:int}"
    tags = ["reports"]

    @get("/sales", sync_to_thread=True)
    def sales(
        self,
        event_id: FromPath[int],
        db: Db,
        organizer_id: OrganizerId,
        by: FromQuery[Granularity | None] = None,
    ) -> SalesReport:
        """Headline figures, sales by ticket type and over time (``by`` hour, day or week;
        by default whichever fits the sale's span)."""
        _own(db, organizer_id, event_id)
        return sales_report(db, event_id, now_s(), by)

    @get("/sales.csv", sync_to_thread=True)
    def sales_csv(
        self,
        event_id: FromPath[int],
        db: Db,
        organizer_id: OrganizerId,
        by: FromQuery[Granularity | None] = None,
    ) -> Stream:
        _own(db, organizer_id, event_id)
        table = sales_table(sales_report(db, event_id, now_s(), by))
        return table_download(f"sales-event-{event_id}.csv", table)

    @get("/ticket-types.csv", sync_to_thread=True)
    def ticket_types_csv(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> Stream:
        _own(db, organizer_id, event_id)
        now = now_s()
        table = ticket_types_table(
            sales_report(db, event_id, now), attendance_report(db, event_id, now)
        )
        return table_download(f"ticket-types-event-{event_id}.csv", table)

    @get("/attendance", sync_to_thread=True)
    def attendance(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> AttendanceReport:
        """Admitted versus sold, no-shows, per type and gate, and the last hour per minute."""
        _own(db, organizer_id, event_id)
        return attendance_report(db, event_id, now_s())

    @get("/gates.csv", sync_to_thread=True)
    def gates_csv(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> Stream:
        zone = own_event_zone(db, organizer_id, event_id)
        table = gates_table(attendance_report(db, event_id, now_s()), zone)
        return table_download(f"gates-event-{event_id}.csv", table)

    @get("/throughput", sync_to_thread=True)
    def throughput(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> ThroughputReport:
        """Admissions, exits and refusals per gate and minute, and each gate's peak."""
        _own(db, organizer_id, event_id)
        return throughput_report(db, event_id)

    @get("/throughput.csv", sync_to_thread=True)
    def throughput_csv(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> Stream:
        zone = own_event_zone(db, organizer_id, event_id)
        table = throughput_table(throughput_report(db, event_id), zone)
        return table_download(f"throughput-event-{event_id}.csv", table)

    @get("/attendees", sync_to_thread=True)
    def attendees(
        self,
        *,
        event_id: FromPath[int],
        db: Db,
        organizer_id: OrganizerId,
        q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
        type_id: FromQuery[int | None] = None,
        checked_in: FromQuery[bool | None] = None,
        status: FromQuery[Validity] = "valid",
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> AttendeePage:
        """The event's tickets with their holders; ``q`` searches names and emails
        (anywhere), order references and ticket ids (exactly)."""
        _own(db, organizer_id, event_id)
        wanted = attendee_filter(q, type_id, checked_in, status)
        return attendee_page(db, event_id, wanted, offset=offset, limit=limit)

    @get("/attendees.csv", sync_to_thread=True)
    def attendees_csv(
        self,
        *,
        event_id: FromPath[int],
        db: Db,
        organizer_id: OrganizerId,
        state: State,
        q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
        type_id: FromQuery[int | None] = None,
        checked_in: FromQuery[bool | None] = None,
        status: FromQuery[Validity] = "valid",
    ) -> Stream:
        """Every matching ticket, streamed; ``Bilten-Row-Count`` says how many."""
        zone = own_event_zone(db, organizer_id, event_id)
        wanted = attendee_filter(q, type_id, checked_in, status)
        return attendees_download(db, state.session_factory, event_id, wanted, zone)


class OrganisationReportsController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]

    @get("/events", sync_to_thread=True)
    def events(self, db: Db, organizer_id: OrganizerId) -> PortfolioReport:
        """Every event of the organisation: sold, money, checked in, conflicts."""
        return portfolio_report(db, organizer_id)

    @get("/events.csv", sync_to_thread=True)
    def events_csv(self, db: Db, organizer_id: OrganizerId) -> Stream:
        table = portfolio_table(portfolio_report(db, organizer_id))
        return table_download(f"events-organisation-{organizer_id}.csv", table)
