"""Time buckets for reports: hour, day or week (weeks start on Monday), always in UTC.

Bucket starts are computed in SQL with integer arithmetic only (``(t - offset) / size * size
+ offset`` on integer columns is integer division on PostgreSQL and SQLite alike), with the
constants written into the statement rather than bound: PostgreSQL compares a GROUP BY
expression with the selected one literally, and two sets of bind parameters never match."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from sqlalchemy import ColumnElement, literal_column
from sqlalchemy.orm import QueryableAttribute

MINUTE_S = 60
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


def bucket_start(
    column: QueryableAttribute[int | None], granularity: Granularity
) -> ColumnElement[int | None]:
    """SQL for the start of the bucket holding ``column`` (Unix seconds)."""
    size: ColumnElement[int] = literal_column(str(granularity.seconds))
    offset: ColumnElement[int] = literal_column(str(granularity.offset))
    return (column - offset) // size * size + offset


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
