"""The platform admins' API: accounts and organisations (suspend, approve), event
moderation, the platform's figures, the message outbox (retry dead ones) and the audit log.
Platform admins only: 401 without a token, 403 for everyone else."""

from __future__ import annotations

import json
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from cloud.admin import moderation, service
from cloud.admin.figures import platform_figures
from cloud.admin.schemas import (
    ActiveEventOut,
    AdminEventOut,
    AdminOrganisationOut,
    AdminUserOut,
    AuditEntryOut,
    AuditPageOut,
    DaySalesOut,
    FiguresOut,
    HideIn,
    OutboxMessageOut,
    VenueSeenOut,
)
from cloud.audit.log import AuditQuery, search
from cloud.audit.models import AuditEntry
from cloud.clock import now_s
from cloud.db import MAX_ROW_ID
from cloud.deps import ADMIN_DEPENDENCIES, AdminUser, Db, Settings
from cloud.notifications.models import OutboxMessage, OutboxStatus
from cloud.notifications.outbox import retry_dead, waiting
from cloud.orgs.models import Organisation
from cloud.users.models import User

Limit = Annotated[int, QueryParameter(ge=1, le=500)]
# Past the last row the page is empty; the bound keeps the number inside a database integer.
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_ROW_ID)]
Query = Annotated[str | None, QueryParameter(max_length=200)]
OrgStateFilter = Annotated[service.OrgState | None, QueryParameter(name="state")]
EventStateFilter = Annotated[moderation.EventState | None, QueryParameter(name="state")]
Days = Annotated[int, QueryParameter(ge=1, le=366)]
# Audit entries are numbered in a BIGINT; ids are SQL INTEGERs (cloud.db.MAX_ROW_ID).
Seq = Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)]
Moment = Annotated[int | None, QueryParameter(ge=0, le=2**32)]
Id = Annotated[int | None, QueryParameter(ge=1, le=MAX_ROW_ID)]
ActionFilter = Annotated[str | None, QueryParameter(max_length=64, pattern=r"^[a-z_.]*$")]


def user_out(user: User) -> AdminUserOut:
    return AdminUserOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        created_at=user.created_at,
        email_verified=user.email_verified_at is not None,
        is_admin=user.is_admin,
        suspended=user.suspended_at is not None,
    )


def org_out(org: Organisation, members: int) -> AdminOrganisationOut:
    return AdminOrganisationOut(
        org_id=org.id,
        name=org.name,
        created_at=org.created_at,
        members=members,
        suspended=org.suspended_at is not None,
        state=service.org_state(org).value,
        approved_at=org.approved_at,
    )


def event_out(row: moderation.ModeratedEvent) -> AdminEventOut:
    event = row.event
    return AdminEventOut(
        event_id=event.id,
        name=event.name,
        org_id=event.organizer_id,
        organisation=row.org_name,
        venue=row.venue_name,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        state=row.state.value,
        sold=row.sold,
        hidden_at=event.hidden_at,
        hidden_reason=event.hidden_reason,
    )


def message_out(row: OutboxMessage) -> OutboxMessageOut:
    return OutboxMessageOut(
        message_id=row.id,
        channel=row.channel,
        recipient=row.recipient,
        template=row.template,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == OutboxStatus.QUEUED else None,
        last_error=row.last_error,
        created_at=row.created_at,
    )


def audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        seq=entry.seq,
        at=entry.at,
        action=entry.action,
        actor_id=entry.actor_id,
        actor=entry.actor,
        ip=entry.ip,
        org_id=entry.org_id,
        target_type=entry.target_type,
        target_id=entry.target_id,
        summary=entry.summary,
        detail=json.loads(entry.detail),
        hash=entry.hash,
    )


class AdminController(Controller):
    """Accounts and organisations."""

    path = "/api/v1/admin"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get("/users", sync_to_thread=True)
    def users(
        self,
        *,
        db: Db,
        admin: AdminUser,
        q: Query = None,
        suspended: FromQuery[bool | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[AdminUserOut]:
        found = service.list_users(db, query=q, limit=limit, offset=offset, suspended=suspended)
        return [user_out(u) for u in found]

    @get("/orgs", sync_to_thread=True)
    def organisations(
        self,
        *,
        db: Db,
        admin: AdminUser,
        q: Query = None,
        org_state: OrgStateFilter = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[AdminOrganisationOut]:
        rows = service.list_organisations(db, query=q, limit=limit, offset=offset, state=org_state)
        return [org_out(org, members) for org, members in rows]

    @post("/users/{user_id:int}/suspend", status_code=200, sync_to_thread=True)
    def suspend_user(self, user_id: FromPath[int], db: Db, admin: AdminUser) -> AdminUserOut:
        return user_out(service.set_user_suspended(db, admin.id, user_id, True, now_s()))

    @post("/users/{user_id:int}/unsuspend", status_code=200, sync_to_thread=True)
    def unsuspend_user(self, user_id: FromPath[int], db: Db, admin: AdminUser) -> AdminUserOut:
        return user_out(service.set_user_suspended(db, admin.id, user_id, False, now_s()))

    @post("/orgs/{org_id:int}/approve", status_code=200, sync_to_thread=True)
    def approve_org(self, org_id: FromPath[int], db: Db, admin: AdminUser) -> AdminOrganisationOut:
        org = service.approve_organisation(db, org_id, now_s()).org
        return org_out(org, service.member_count(db, org.id))

    @post("/orgs/{org_id:int}/suspend", status_code=200, sync_to_thread=True)
    def suspend_org(self, org_id: FromPath[int], db: Db, admin: AdminUser) -> AdminOrganisationOut:
        org = service.set_organisation_suspended(db, org_id, True, now_s())
        return org_out(org, service.member_count(db, org.id))

    @post("/orgs/{org_id:int}/unsuspend", status_code=200, sync_to_thread=True)
    def unsuspend_org(
        self, org_id: FromPath[int], db: Db, admin: AdminUser
    ) -> AdminOrganisationOut:
        org = service.set_organisation_suspended(db, org_id, False, now_s())
        return org_out(org, service.member_count(db, org.id))


class AdminEventsController(Controller):
    """Every organisation's events; hiding one takes it off sale with a reason."""

    path = "/api/v1/admin/events"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get("/", sync_to_thread=True)
    def events(
        self,
        *,
        db: Db,
        admin: AdminUser,
        q: Query = None,
        event_state: EventStateFilter = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[AdminEventOut]:
        rows = moderation.list_events(db, query=q, state=event_state, limit=limit, offset=offset)
        return [event_out(row) for row in rows]

    @post("/{event_id:int}/hide", status_code=200, sync_to_thread=True)
    def hide(
        self,
        event_id: FromPath[int],
        data: JSONBody[HideIn],
        db: Db,
        admin: AdminUser,
        settings: Settings,
    ) -> AdminEventOut:
        moderation.hide_event(db, event_id, data.reason, now_s(), settings.public_url)
        return self._one(db, event_id)

    @post("/{event_id:int}/restore", status_code=200, sync_to_thread=True)
    def restore(
        self, event_id: FromPath[int], db: Db, admin: AdminUser, settings: Settings
    ) -> AdminEventOut:
        moderation.restore_event(db, event_id, now_s(), settings.public_url)
        return self._one(db, event_id)

    @staticmethod
    def _one(db: Db, event_id: int) -> AdminEventOut:
        return event_out(moderation.one_event(db, event_id))


class AdminPlatformController(Controller):
    """The platform's figures, its message outbox and its audit log."""

    path = "/api/v1/admin"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get("/figures", sync_to_thread=True)
    def figures(self, db: Db, admin: AdminUser, days: Days = 30) -> FiguresOut:
        found = platform_figures(db, now=now_s(), days=days)
        return FiguresOut(
            days=[DaySalesOut(d.day, d.orders, d.tickets, d.revenue) for d in found.days],
            revenue=found.revenue,
            orders=found.orders,
            tickets=found.tickets,
            refunds=found.refunds,
            active_events=found.active_events,
            top_events=[
                ActiveEventOut(e.event_id, e.name, e.org_name, e.starts_at, e.sold)
                for e in found.top_events
            ],
            users=found.users,
            organisations=found.organisations,
            pending_organisations=found.pending_organisations,
            venues=[
                VenueSeenOut(v.venue_id, v.name, v.org_name, v.last_seen_at, v.online(found.now))
                for v in found.venues
            ],
            venues_online=found.venues_online,
        )

    @get("/outbox", sync_to_thread=True)
    def outbox(
        self,
        db: Db,
        admin: AdminUser,
        dead: FromQuery[bool] = False,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[OutboxMessageOut]:
        return [message_out(row) for row in waiting(db, dead=dead, limit=limit, offset=offset)]

    @post("/outbox/{message_id:str}/retry", status_code=200, sync_to_thread=True)
    def retry(self, message_id: FromPath[str], db: Db, admin: AdminUser) -> OutboxMessageOut:
        return message_out(retry_dead(db, message_id[:36], now_s()))

    @get("/audit", sync_to_thread=True)
    def audit(
        self,
        *,
        db: Db,
        admin: AdminUser,
        q: Query = None,
        action: ActionFilter = None,
        actor_id: Id = None,
        org_id: Id = None,
        since: Moment = None,
        until: Moment = None,
        before: Seq = None,
        limit: Limit = 50,
    ) -> AuditPageOut:
        page = search(
            db,
            AuditQuery(
                text=q or "",
                action=action or "",
                actor_id=actor_id,
                org_id=org_id,
                since=since,
                until=until,
                before=before,
                limit=limit,
            ),
        )
        return AuditPageOut([audit_out(e) for e in page.entries], page.next_before)
