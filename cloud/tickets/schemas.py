from __future__ import annotations

from typing import Annotated

import msgspec

from cloud.timestamps import Moment

MAX_ISSUE = 500
MAX_ORDER_REF = 64


class IssueIn(msgspec.Struct, forbid_unknown_fields=True):
    type_id: int
    holder_name: Annotated[str, msgspec.Meta(max_length=200)]
    holder_email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    # The order these tickets belong to, e.g. the shop's or an external order number.
    order_ref: Annotated[str, msgspec.Meta(max_length=MAX_ORDER_REF)] | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_ISSUE)] = 1
    valid_from: Moment | None = None
    valid_until: Moment | None = None


class IssuedTicket(msgspec.Struct):
    ticket_id: str
    token: str
    type_id: int
    holder_name: str
    holder_email: str | None = None
    order_ref: str | None = None


class IssueOut(msgspec.Struct):
    tickets: list[IssuedTicket]


class RevokeOut(msgspec.Struct):
    ticket_id: str
    revoked: bool
