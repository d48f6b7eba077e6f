"""``/organizer``: the visitor's organisations, and a form to create one."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from cloud.access import Access
from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.orgs.service import create_organisation, organisations_of
from cloud.web.deps import CurrentUser, require_user
from cloud.web.organizer.access import BASE
from cloud.web.organizer.forms import Form
from cloud.web.templating import page

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class OrganizerHome(Controller):
    path = BASE
    # Any account may start an organisation; the pages of one check membership (MEMBER).
    opt = {"access": Access.ACCOUNT}

    @get("/", sync_to_thread=True)
    def home(self, request: Request[Any, Any, Any], db: Db, current_user: CurrentUser) -> Any:
        user = require_user(current_user, request)
        orgs = organisations_of(db, user.id)
        db.commit()
        if len(orgs) == 1 and "all" not in request.query_params:
            # One organisation: its events are what the organizer came for.
            return Redirect(f"{BASE}/orgs/{orgs[0][0].id}/events", status_code=303)
        return page("organizer/home.html", orgs=orgs, form=Form({}))

    @post("/orgs", sync_to_thread=True)
    def create(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
        settings: Settings,
    ) -> Template | Redirect:
        user = require_user(current_user, request)
        form = Form(data)
        name = form.text("name", "Organisation name")
        if not form.valid:
            orgs = organisations_of(db, user.id)
            db.commit()
            return page("organizer/home.html", status_code=400, orgs=orgs, form=form)
        org = create_organisation(
            db, user.id, name, now_s(), approved=not settings.approve_organisations
        )
        return Redirect(f"{BASE}/orgs/{org.id}/events?done=org", status_code=303)
