"""Time buckets for reports: hour, day or week (weeks start on Monday), in UTC or in a
venue's time zone.

A venue's days are not all 24 hours long (clocks change) and its hours may start at a
quarter past in UTC, so sales are first counted per quarter hour in SQL (every zone's offset
is a whole number of quarter hours, so a quarter never straddles a local hour, day or week)
and those quarters are then added into the venue's hours, days or weeks here
(:func:`local_start`, :func:`local_starts`).

Bucket starts are computed in SQL with integer arithmetic only (``(t - offset) / size * size
+ offset`` on integer columns is integer division on PostgreSQL and SQLite alike), with the
constants written into the statement rather than bound: PostgreSQL compares a GROUP BY
expression with the selected one literally, and two sets of bind parameters never match."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, literal_column
from sqlalchemy.orm import QueryableAttribute

from cloud.venues import zones

MINUTE_S = 60
QUARTER_S = 900
HOUR_S = 3600
DAY_S = 86_400
WEEK_S = 7 * DAY_S
# 1970-01-05, the first Monday after the epoch.
_MONDAY_S = 4 * DAY_S

# Sales shown per hour while they span at most this, per day up to _DAILY_MAX, else weekly.
_HOURLY_MAX = 3 * DAY_S
_DAILY_MAX = 120 * DAY_S


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"

    @property
    def seconds(self) -> int:
        return {Granularity.HOUR: HOUR_S, Granularity.DAY: DAY_S, Granularity.WEEK: WEEK_S}[self]

    @property
    def offset(self) -> int:
        return _MONDAY_S if self is Granularity.WEEK else 0

    def start(self, moment: int) -> int:
        """The start of the bucket holding ``moment`` (Unix seconds)."""
        return (moment - self.offset) // self.seconds * self.seconds + self.offset


def quarter_start(column: QueryableAttribute[int | None]) -> ColumnElement[int | None]:
    """SQL for the start of the UTC quarter hour holding ``column`` (Unix seconds)."""
    size: ColumnElement[int] = literal_column(str(QUARTER_S))
    return column // size * size


def local_start(moment: int, granularity: Granularity, zone: str) -> int:
    """The start (Unix seconds) of the venue's hour, day or week holding ``moment``: its
    local midnight for a day, Monday's for a week."""
    if zone == zones.DEFAULT:
        return granularity.start(moment)
    local = datetime.fromtimestamp(moment, zones.zone(zone))
    if granularity is Granularity.HOUR:
        start = local.replace(minute=0, second=0, microsecond=0)
    else:
        if granularity is Granularity.WEEK:
            local -= timedelta(days=local.weekday())
        start = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    return int(start.timestamp())


def local_starts(first: int, last: int, granularity: Granularity, zone: str) -> Iterator[int]:
    """Every start of the venue's buckets from the one holding ``first`` to the one holding
    ``last``, so a quiet one shows as a zero. A step of one and a half buckets always lands
    in the next one, whether a day has 23, 24 or 25 hours."""
    moment = local_start(first, granularity, zone)
    end = local_start(last, granularity, zone)
    while moment <= end:
        yield moment
        moment = local_start(moment + granularity.seconds * 3 // 2, granularity, zone)


def minute_of(column_ms: QueryableAttribute[int]) -> ColumnElement[int]:
    """SQL for the start (Unix seconds) of the minute holding ``column_ms`` (Unix ms)."""
    ms_per_minute: ColumnElement[int] = literal_column("60000")
    minute: ColumnElement[int] = literal_column(str(MINUTE_S))
    return column_ms // ms_per_minute * minute


def auto_granularity(first: int, last: int) -> Granularity:
    """Hourly for a short sale, daily for a season, weekly for longer."""
    span = last - first
    if span <= _HOURLY_MAX:
        return Granularity.HOUR
    if span <= _DAILY_MAX:
        return Granularity.DAY
    return Granularity.WEEK


def starts_between(first: int, last: int, step: int) -> Iterator[int]:
    """Every bucket start from ``first`` to ``last`` inclusive (both bucket starts), so a
    quiet hour shows as a zero rather than vanishing from a plot."""
    moment = first
    while moment <= last:
        yield moment
        moment += step
