"""Short labels for the moments plots and report tables show, by bucket size, in the
venue's time zone (whose hours and days the reports count in)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from cloud.analytics.buckets import Granularity
from cloud.venues import zones


def hour(moment: datetime, zone: str = zones.DEFAULT) -> str:
    moment = moment.astimezone(zones.zone(zone))
    return f"{moment.day} {moment:%b %H}:00"


def day(moment: datetime, zone: str = zones.DEFAULT) -> str:
    moment = moment.astimezone(zones.zone(zone))
    return f"{moment:%a} {moment.day} {moment:%b}"


def week(moment: datetime, zone: str = zones.DEFAULT) -> str:
    moment = moment.astimezone(zones.zone(zone))
    return f"w/c {moment.day} {moment:%b}"


def minute(moment: datetime, zone: str = zones.DEFAULT) -> str:
    return f"{moment.astimezone(zones.zone(zone)):%H:%M}"


def label_for(granularity: Granularity, zone: str = zones.DEFAULT) -> Callable[[datetime], str]:
    label = {Granularity.HOUR: hour, Granularity.DAY: day, Granularity.WEEK: week}[granularity]
    return partial(label, zone=zone)


# What one bucket is called in a plot's title: "Tickets sold per hour".
NOUNS = {Granularity.HOUR: "hour", Granularity.DAY: "day", Granularity.WEEK: "week"}
