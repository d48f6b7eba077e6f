"""Short labels for the moments plots and report tables show, by bucket size: UTC, as the
reports bucket by UTC hours and days, except minutes, which read in the venue's time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from cloud.analytics.buckets import Granularity
from cloud.venues import zones


def hour(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %H}:00"


def day(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%a} {moment.day} {moment:%b}"


def week(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"w/c {moment.day} {moment:%b}"


def minute(moment: datetime, zone: str = zones.DEFAULT) -> str:
    return f"{moment.astimezone(zones.zone(zone)):%H:%M}"


def label_for(granularity: Granularity) -> Callable[[datetime], str]:
    return {Granularity.HOUR: hour, Granularity.DAY: day, Granularity.WEEK: week}[granularity]


# What one bucket is called in a plot's title: "Tickets sold per hour".
NOUNS = {Granularity.HOUR: "hour", Granularity.DAY: "day", Granularity.WEEK: "week"}
