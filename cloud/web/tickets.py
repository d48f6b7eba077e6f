"""The page of a ticket given to someone, opened by the secret link in the email that brought
it (cloud.orders.giving): its QR code, the event, a PDF to print, a calendar entry, and a
form to give it on in turn. Without the link nobody can tell whether such a ticket exists:
an unknown link answers 404, as an unknown order does.

Once its holder gave it on, the page says to whom and shows no code; once the order was
cancelled or refunded, it says the ticket is no longer valid.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.orders import giving
from cloud.web.deps import CurrentUser
from cloud.web.forms import FormData, sentence, text
from cloud.web.orders import event_calendar, printed_tickets
from cloud.web.qr import qr_svg
from cloud.web.responses import secret_page
from cloud.web.templating import render


class TicketPages(Controller):
    path = "/tickets"
    include_in_schema = False

    @get("/{token:str}", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def ticket(
        self,
        *,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        given: FromQuery[bool] = False,
    ) -> Response[str]:
        del current_user  # taken for the nav
        with db:
            held = giving.received(db, token)
            return secret_page(_ticket_html(request, db, held, token, given=given))

    @post("/{token:str}/give", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def give(
        self,
        *,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        data: FormData,
        db: Db,
        settings: Settings,
    ) -> Response[Any]:
        """Give the ticket on; a refusal shows the page again with the reason beside the form
        and what was typed."""
        values = {"name": text(data, "name"), "email": text(data, "email")}
        with db:
            try:
                giving.give_on(
                    db,
                    token,
                    name=values["name"],
                    email=values["email"],
                    master_key=settings.master_key,
                    public_url=settings.public_url,
                    now=now_s(),
                )
            except (InvalidInput, Conflict) as exc:
                db.rollback()
                held = giving.received(db, token)
                problem = {
                    "ticket": held.ticket.ticket_ref,
                    "message": sentence(exc.detail),
                    "typed": values,
                }
                body = _ticket_html(request, db, held, token, give_problem=problem)
                return secret_page(body, exc.status_code)
        return Redirect(f"/tickets/{token}?given=true", status_code=303)

    @get("/{token:str}/ticket.pdf", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def pdf(self, token: FromPath[str], db: Db) -> Response[bytes]:
        with db:
            held = giving.received(db, token)
            if held.ticket.revoked:
                raise NotFound("This ticket is no longer valid; there is nothing to print.")
            filename = f"ticket-{held.ticket.ticket_ref}.pdf"
            return printed_tickets(db, held.order, [held.ticket], filename)

    @get("/{token:str}/calendar.ics", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def calendar(self, token: FromPath[str], db: Db, settings: Settings) -> Response[bytes]:
        with db:
            held = giving.received(db, token)
            return event_calendar(db, held.event.id, settings.public_url)


def _ticket_html(
    request: Request[Any, Any, Any],
    db: Session,
    held: giving.Received,
    token: str,
    *,
    given: bool = False,
    give_problem: dict[str, Any] | None = None,
) -> str:
    ticket, event = held.ticket, held.event
    view = giving.holders_view(db, held, now_s())
    base = f"/tickets/{token}"
    return render(
        request,
        "shop/ticket.html",
        event=event,
        venue=view.venue,
        giver_name=held.giver_name,
        given_on=view.given_on,
        given=given and view.given_on is not None,
        give_problem=give_problem,
        allow_giving=event.allow_giving,
        ticket={
            "ref": ticket.ticket_ref,
            "type_name": view.type_name,
            "holder": ticket.holder_name,
            "email": ticket.holder_email,
            "revoked": view.revoked,
            # A ticket no longer valid, or given on, shows no code: only a valid one does.
            "qr": None
            if view.token is None
            else qr_svg(view.token, f"QR code of ticket {ticket.ticket_ref}, {view.type_name}"),
            "give_url": f"{base}/give" if view.can_give else None,
        },
        pdf_url=f"{base}/ticket.pdf",
        calendar_url=f"{base}/calendar.ics",
    )
