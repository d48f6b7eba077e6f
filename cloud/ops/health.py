from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cloud.access import Access
from cloud.deps import Db


class Health(msgspec.Struct):
    status: str
    database: str


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def health(self, db: Db) -> Response[Health]:
        try:
            db.execute(text("SELECT 1"))
            db.rollback()
        except SQLAlchemyError as exc:
            down = Health(status="unavailable", database=type(exc).__name__)
            return Response(down, status_code=503)
        return Response(Health(status="ok", database="ok"))
