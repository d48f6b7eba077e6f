"""The voucher forms of the event page: create a code, deactivate one."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.errors import Conflict
from cloud.events import service
from cloud.events.schemas import MAX_PRICE
from cloud.orgs.models import Role
from cloud.vouchers.service import VoucherTerms, create_voucher, deactivate_voucher
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.event_page import event_page, event_url
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import FormData

_CODE = re.compile(r"[A-Za-z0-9_-]{3,40}")


class VoucherForms(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/vouchers"

    @post("/", sync_to_thread=True)
    def create(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        zone = service.own_event_zone(db, org_id, event_id)
        types = {row.id: row for row in service.ticket_types(db, event_id)}
        db.commit()
        form = Form(data)
        code = form.text("code", "Code", max_length=40)
        if code and "code" not in form.errors and not _CODE.fullmatch(code):
            form.fail("code", "Code: 3 to 40 letters, digits, - or _")
        # No box ticked: the voucher is good for every ticket type of the event.
        by_text = {str(type_id): type_id for type_id in types}
        picked = form.choices("type_ids")
        if any(text not in by_text for text in picked):
            form.fail("type_ids", "Choose among this event's ticket types")
        type_ids = tuple(sorted({by_text[text] for text in picked if text in by_text}))
        # An amount off is in the currency of the tickets it discounts.
        chosen = [types[type_id] for type_id in type_ids] or list(types.values())
        currency = chosen[0].currency if chosen else "EUR"
        percent = amount = None
        if form.values.get("kind") == "amount":
            if len({row.currency for row in chosen}) > 1:
                form.fail("type_ids", "An amount off needs ticket types priced in one currency")
            amount = form.price("value", currency, high=MAX_PRICE)
            if amount == 0 and "value" not in form.errors:
                form.fail("value", "The amount off must be more than 0")
        else:
            percent = form.integer("value", "Percent off", low=1, high=100)
        max_uses = None
        if form.values.get("max_uses"):
            max_uses = form.integer("max_uses", "Uses", low=1, high=10_000_000)
        starts = form.moment("valid_from", "Valid from", zone=zone, required=False)
        ends = form.moment("valid_until", "Valid until", zone=zone, required=False)
        form.window(starts, ends, "valid_until", "Valid until must be after Valid from")
        if form.valid:
            start, end = service.sale_window(starts, ends)
            terms = VoucherTerms(
                code=code,
                percent_off=percent,
                amount_off=amount,
                type_ids=type_ids,
                valid_from=start,
                valid_until=end,
                max_uses=max_uses,
            )
            try:
                create_voucher(db, org_id, event_id, terms, now_s())
            except Conflict as exc:
                form.fail("code", exc.detail)
            else:
                return event_url(org, event_id, "voucher-added")
        return event_page(db, org, event_id, settings, forms={"new_voucher": form}, status_code=400)

    @post("/{voucher_id:int}/deactivate", sync_to_thread=True)
    def deactivate(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        voucher_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        deactivate_voucher(db, org_id, event_id, voucher_id)
        return event_url(org, event_id, "voucher-off")
