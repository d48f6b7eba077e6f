"""Health endpoints for load balancers and orchestrators.

* ``/health/live``: the process runs and answers; nothing else is checked, so a database
  outage never gets healthy processes restarted.
* ``/health/ready``: the process can serve: the database answers and, when configured,
  Redis does. 503 takes the process out of the load balancer until it can again.
* ``/health``: the database check older scripts and monitors use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cloud.access import Access
from cloud.deps import Db

if TYPE_CHECKING:
    from redis import Redis

OK = "ok"
NOT_CONFIGURED = "not configured"


class Health(msgspec.Struct):
    status: str
    database: str


class Liveness(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    """``ok`` or ``unavailable``, and each dependency's state: ``ok``, ``not configured`` or
    the kind of error it gave."""

    status: str
    database: str
    redis: str


def database_state(db: Db) -> str:
    try:
        db.execute(text("SELECT 1"))
        db.rollback()
    except SQLAlchemyError as exc:
        return type(exc).__name__
    return OK


def redis_state(redis: Redis | None) -> str:
    if redis is None:
        return NOT_CONFIGURED
    try:
        redis.ping()
    except RedisError as exc:
        return type(exc).__name__
    return OK


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def health(self, db: Db) -> Response[Health]:
        database = database_state(db)
        if database != OK:
            return Response(Health(status="unavailable", database=database), status_code=503)
        return Response(Health(status=OK, database=OK))

    @get("/live", sync_to_thread=False, opt={"access": Access.PUBLIC})
    def live(self) -> Liveness:
        return Liveness(status=OK)

    @get("/ready", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def ready(self, db: Db, state: State) -> Response[Readiness]:
        database = database_state(db)
        redis = redis_state(state.redis)
        ready = database == OK and redis in {OK, NOT_CONFIGURED}
        body = Readiness(status=OK if ready else "unavailable", database=database, redis=redis)
        return Response(body, status_code=200 if ready else 503)
