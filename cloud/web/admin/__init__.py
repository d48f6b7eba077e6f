"""The platform admins' pages under ``/admin``: the platform's figures, accounts,
organisations (approval), event moderation, the message outbox and the audit log.
Every handler first checks that the visitor is a platform admin (cloud.web.admin.access)."""

from __future__ import annotations

from typing import Any

from cloud.web.admin.audit import AdminAuditPages
from cloud.web.admin.events import AdminEventPages
from cloud.web.admin.organisations import AdminOrganisationPages
from cloud.web.admin.outbox import AdminOutboxPages
from cloud.web.admin.overview import AdminOverview
from cloud.web.admin.users import AdminUsersPages

ADMIN_PAGE_HANDLERS: list[Any] = [
    AdminOverview,
    AdminUsersPages,
    AdminOrganisationPages,
    AdminEventPages,
    AdminOutboxPages,
    AdminAuditPages,
]
