from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from cloud.clock import now_s
from cloud.deps import Db, OrganizerId
from cloud.timestamps import stored_moment, to_datetime
from cloud.vouchers import service
from cloud.vouchers.models import Voucher
from cloud.vouchers.schemas import VoucherIn, VoucherOut


def _moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else to_datetime(seconds)


def _out(voucher: Voucher, type_ids: list[int]) -> VoucherOut:
    return VoucherOut(
        voucher_id=voucher.id,
        code=voucher.code,
        percent_off=voucher.percent_off,
        amount_off=voucher.amount_off,
        type_ids=type_ids,
        valid_from=_moment(voucher.valid_from),
        valid_until=_moment(voucher.valid_until),
        max_uses=voucher.max_uses,
        used=voucher.used,
        active=voucher.active,
    )


class VoucherController(Controller):
    """An event's promo codes, for its organizer."""

    path = "/api/v1/events/{event_id:int}/vouchers"
    tags = ["vouchers"]

    @post("/", sync_to_thread=True)
    def create(
        self, event_id: FromPath[int], data: JSONBody[VoucherIn], db: Db, organizer_id: OrganizerId
    ) -> VoucherOut:
        terms = service.VoucherTerms(
            code=data.code,
            percent_off=data.percent_off,
            amount_off=data.amount_off,
            type_ids=tuple(data.type_ids),
            valid_from=stored_moment(data.valid_from, "valid_from"),
            valid_until=stored_moment(data.valid_until, "valid_until"),
            max_uses=data.max_uses,
        )
        return _out(*service.create_voucher(db, organizer_id, event_id, terms, now_s()))

    @get("/", sync_to_thread=True)
    def index(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> list[VoucherOut]:
        return [_out(*row) for row in service.list_vouchers(db, organizer_id, event_id)]

    @post("/{voucher_id:int}/deactivate", status_code=200, sync_to_thread=True)
    def deactivate(
        self, event_id: FromPath[int], voucher_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> VoucherOut:
        return _out(*service.deactivate_voucher(db, organizer_id, event_id, voucher_id))
