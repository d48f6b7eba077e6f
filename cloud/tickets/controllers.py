from __future__ import annotations

from litestar import Controller, post
from litestar.params import FromPath, JSONBody

from cloud.deps import Db, OrganizerId, Settings
from cloud.tickets import service
from cloud.tickets.schemas import IssuedTicket, IssueIn, IssueOut, RevokeOut


class IssueController(Controller):
    path = "/api/v1/events/{event_id:int}/tickets"
    tags = ["tickets"]

    @post("/", sync_to_thread=True)
    def issue(
        self,
        event_id: FromPath[int],
        data: JSONBody[IssueIn],
        db: Db,
        organizer_id: OrganizerId,
        settings: Settings,
    ) -> IssueOut:
        tickets = service.issue_tickets(
            db,
            organizer_id,
            settings.master_key,
            event_id,
            type_id=data.type_id,
            holder_name=data.holder_name,
            holder_email=data.holder_email,
            order_ref=data.order_ref,
            count=data.count,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
        )
        return IssueOut(
            tickets=[
                IssuedTicket(
                    ticket_id=t.ticket_ref,
                    token=t.token,
                    type_id=t.type_id,
                    holder_name=t.holder_name,
                    holder_email=t.holder_email,
                    order_ref=t.order_ref,
                )
                for t in tickets
            ]
        )


class TicketController(Controller):
    path = "/api/v1/tickets"
    tags = ["tickets"]

    @post("/{ticket_id:str}/revoke", status_code=200, sync_to_thread=True)
    def revoke(self, ticket_id: FromPath[str], db: Db, organizer_id: OrganizerId) -> RevokeOut:
        ticket = service.revoke_ticket(db, organizer_id, ticket_id)
        return RevokeOut(ticket_id=ticket.ticket_ref, revoked=ticket.revoked)
