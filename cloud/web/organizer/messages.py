"""An event's messages to its ticket holders: whom a message reaches, the form that sends
one (managers and owners), and how far each message sent has gone. The page refreshes
itself while copies are still waiting to go out."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.deps import Db
from cloud.errors import InvalidInput
from cloud.events.service import own_event
from cloud.notifications import holders
from cloud.orgs.models import Role
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import FormData
from cloud.web.templating import page


def _messages_page(
    db: Session,
    org: OrgPage,
    event_id: int,
    *,
    form: Form | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Template:
    event = own_event(db, org.org_id, event_id)
    reach = holders.recipients(db, event_id)
    sent = holders.sent_messages(db, org.org_id, event_id)
    db.commit()
    # A new key for each form shown: sending it twice (a double click, a reload) sends once.
    shown = form or Form({"key": str(uuid.uuid4())})
    return page(
        "organizer/messages.html",
        status_code=status_code,
        org=org,
        event=event,
        reach=reach,
        sent=sent,
        form=shown,
        done=done,
        busy=any(not done_.done for _message, done_ in sent),
        max_subject=holders.MAX_SUBJECT,
        max_body=holders.MAX_BODY,
    )


class HolderMessagePages(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/messages"

    @get("/", sync_to_thread=True)
    def messages(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        return _messages_page(db, org, event_id, done=request.query_params.get("done"))

    @post("/", sync_to_thread=True)
    def send(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        form = Form(data)
        form.values["body"] = str(data.get("body", "")).strip()
        subject = form.text("subject", "Subject", max_length=holders.MAX_SUBJECT)
        body = form.values["body"]
        if not body:
            form.fail("body", "Message is required")
        if form.valid:
            try:
                holders.message_holders(
                    db,
                    org_id,
                    event_id,
                    org.member.user_id,
                    subject=subject,
                    body=body,
                    texts=form.checkbox("texts"),
                    key=form.values.get("key") or None,
                    now=now_s(),
                )
            except InvalidInput as exc:
                db.rollback()
                form.fail("body", exc.detail[0].upper() + exc.detail[1:])
            else:
                return Redirect(f"{org.base}/events/{event_id}/messages?done=sent", status_code=303)
        return _messages_page(db, org, event_id, form=form, status_code=400)
