"""The organizer's pages: organisations, venues (gates, API keys), events, ticket types,
vouchers, publishing, the sale (cancel, refund), the team, and the reports (sales
dashboard, orders, attendees, live check-in, sales/attendance/throughput reports, the
organisation's events side by side), under ``/organizer``.

Pages of an organisation live under ``/organizer/orgs/{org_id}/``; every handler first checks
the visitor's membership and role there (cloud.web.organizer.access)."""

from __future__ import annotations

from typing import Any

from cloud.web.organizer.attendees import AttendeesPages
from cloud.web.organizer.checkin import CheckinPages
from cloud.web.organizer.dashboard import DashboardPage
from cloud.web.organizer.event_page import EventPage
from cloud.web.organizer.events import EventsPages
from cloud.web.organizer.home import OrganizerHome
from cloud.web.organizer.messages import HolderMessagePages
from cloud.web.organizer.orders_list import OrdersPage
from cloud.web.organizer.reports import EventReports, OrganisationReports
from cloud.web.organizer.sale import OrderActions, OrderEmailPage
from cloud.web.organizer.team import TeamPages
from cloud.web.organizer.ticket_types import TicketTypeForms
from cloud.web.organizer.venues import VenuesPages
from cloud.web.organizer.vouchers import VoucherForms

# Route handlers (controllers) of the organizer pages, registered by cloud.web.
ORGANIZER_HANDLERS: list[Any] = [
    OrganizerHome,
    EventsPages,
    VenuesPages,
    EventPage,
    TicketTypeForms,
    VoucherForms,
    OrderActions,
    OrderEmailPage,
    TeamPages,
    HolderMessagePages,
    DashboardPage,
    OrdersPage,
    AttendeesPages,
    CheckinPages,
    EventReports,
    OrganisationReports,
]
