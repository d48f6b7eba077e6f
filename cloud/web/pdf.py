"""The buyer's printable tickets: one A5 page per valid ticket, with its QR code, the event,
date, venue, ticket type, holder and order reference."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from cloud.web.qr import qr_png
from cloud.web.templating import format_datetime

# A Unicode font when the system has one (names and events in any script); otherwise the
# PDF core font, which only knows Latin-1, and other characters print as "?".
_UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


@dataclass(frozen=True, slots=True)
class PrintedTicket:
    token: str
    ticket_ref: str
    type_name: str
    holder_name: str


@dataclass(frozen=True, slots=True)
class PrintedOrder:
    reference: str
    event_name: str
    starts_at: datetime
    venue_name: str
    tickets: Sequence[PrintedTicket]
    # The venue's time zone, which the start time is printed in.
    timezone: str = "UTC"


class _TicketPdf(FPDF):
    def __init__(self) -> None:
        # A5 in millimetres (fpdf2 warns about its named A5 having changed in 2.8.5).
        super().__init__(orientation="portrait", unit="mm", format=(148, 210))
        self.set_auto_page_break(auto=False)
        self.set_margins(12, 12, 12)
        font = next((path for path in _UNICODE_FONTS if path.is_file()), None)
        if font is not None:
            self.add_font("Body", "", str(font))
            bold = font.with_name("DejaVuSans-Bold.ttf")
            self.add_font("Body", "B", str(bold if bold.is_file() else font))
            self.body_font = "Body"
            self.unicode = True
        else:
            self.body_font = "Helvetica"
            self.unicode = False

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def write_line(self, text: str, size: float, bold: bool = False, height: float = 7) -> None:
        self.set_font(self.body_font, "B" if bold else "", size)
        self.multi_cell(0, height, self.text_of(text), new_x="LMARGIN", new_y="NEXT")


def tickets_pdf(order: PrintedOrder) -> bytes:
    pdf = _TicketPdf()
    pdf.set_title(pdf.text_of(f"Tickets {order.reference} · {order.event_name}"))
    pdf.set_creator("Bilten")
    for ticket in order.tickets:
        pdf.add_page()
        pdf.write_line(order.event_name, 18, bold=True, height=8)
        pdf.write_line(format_datetime(order.starts_at, order.timezone), 11)
        pdf.write_line(order.venue_name, 11)
        size = 90
        x = (pdf.w - size) / 2
        pdf.image(io.BytesIO(qr_png(ticket.token)), x=x, y=pdf.get_y() + 4, w=size, h=size)
        pdf.set_y(pdf.get_y() + size + 8)
        pdf.write_line(ticket.type_name, 14, bold=True)
        if ticket.holder_name:
            pdf.write_line(ticket.holder_name, 12)
        pdf.write_line(f"Ticket {ticket.ticket_ref}", 11)
        pdf.write_line(f"Order {order.reference}", 11)
        pdf.set_y(-20)
        pdf.set_font(pdf.body_font, "", 8)
        pdf.multi_cell(
            0,
            4,
            pdf.text_of("Show this code at the entrance. Each code admits once; keep it private."),
        )
    return bytes(pdf.output())
