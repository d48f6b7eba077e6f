"""``/admin/audit``: the audit log, searched and filtered, newest first, a page at a time;
and a check of its hash chain. Read-only: no page changes or removes an entry."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from cloud.audit.actions import Action
from cloud.audit.chain import verify
from cloud.audit.log import AuditQuery, count, search
from cloud.deps import Db
from cloud.web.admin.access import BASE, PAGE_SIZE, require_admin
from cloud.web.deps import CurrentUser
from cloud.web.templating import page

Text = Annotated[str | None, QueryParameter(max_length=200)]
Short = Annotated[str | None, QueryParameter(max_length=20)]
FAMILIES = sorted({action.value.partition(".")[0] for action in Action})
ACTIONS = sorted(Action, key=lambda action: action.value)


def _day(value: str | None, label: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{label} must be a date like 2030-06-01")
        return None


def _number(value: str | None, label: str, problems: list[str]) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        problems.append(f"{label} must be a number")
        return None
    return int(value)


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class AdminAuditPages(Controller):
    path = f"{BASE}/audit"

    @get("/", sync_to_thread=True)
    def audit(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        q: Text = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        org: Short = None,
        actor: Short = None,
        since: Short = None,
        until: Short = None,
        before: Short = None,
    ) -> Template:
        admin = require_admin(current_user, request)
        problems: list[str] = []
        chosen = action or ""
        known = {a.value for a in Action} | set(FAMILIES)
        if chosen and chosen not in known:
            problems.append("choose an action from the list")
            chosen = ""
        first = _day(since, "From", problems)
        last = _day(until, "Until", problems)
        query = AuditQuery(
            text=q or "",
            action=chosen,
            org_id=_number(org, "Organisation", problems),
            actor_id=_number(actor, "Account", problems),
            since=_midnight(first) if first else None,
            until=_midnight(last + timedelta(days=1)) if last else None,
            before=_number(before, "Page", problems),
            limit=PAGE_SIZE,
        )
        found = search(db, query)
        matching = count(db, query)
        db.commit()
        older = None
        if found.next_before is not None:
            params = {k: v for k, v in request.query_params.items() if k != "before"}
            params["before"] = str(found.next_before)
            older = params
        return page(
            "admin/audit.html",
            status_code=400 if problems else 200,
            section="audit",
            admin=admin,
            entries=[(entry, json.loads(entry.detail)) for entry in found.entries],
            matching=matching,
            older=older,
            problems=problems,
            values={
                "q": q or "",
                "action": chosen,
                "org": org or "",
                "actor": actor or "",
                "since": since or "",
                "until": until or "",
            },
            paged=before is not None,
            families=FAMILIES,
            actions=ACTIONS,
        )

    @get("/verify", sync_to_thread=True)
    def check(
        self, *, request: Request[Any, Any, Any], db: Db, current_user: CurrentUser
    ) -> Template:
        admin = require_admin(current_user, request)
        result = verify(db)
        db.commit()
        return page("admin/verify.html", section="audit", admin=admin, result=result)
