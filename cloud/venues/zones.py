"""Venue time zones. Moments are stored as UTC seconds; people read and type them in the
venue's own time, as the poster at the door says it: "Sat 1 Jun, 20:00 CEST", not 18:00 UTC.

Zone names are IANA's ("Europe/Zagreb"). The zone database comes from the system or, where
the system has none, from the ``tzdata`` package, so every machine knows the same names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cloud.errors import InvalidInput

log = logging.getLogger("bilten.cloud.venues")

DEFAULT = "UTC"

# The regions a venue's zone is picked from on the pages; other valid names (legacy aliases
# such as "US/Eastern", fixed offsets such as "Etc/GMT-3") are accepted but not offered.
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def _known() -> frozenset[str]:
    # Files without a zone in them, which available_timezones() may list on some systems.
    return frozenset(available_timezones() - {"Factory", "localtime", "posixrules"})


def checked(name: str) -> str:
    """``name`` as a venue's zone, or InvalidInput naming what was wrong."""
    name = name.strip()
    if name in _known():
        return name
    raise InvalidInput(
        f"{name!r} is not a time zone; use an IANA name such as Europe/Zagreb or America/New_York"
    )


@cache
def zone(name: str) -> tzinfo:
    """The zone of a stored name. A name the zone database no longer knows (it was checked
    when stored) falls back to UTC, said once in the log, rather than break every page."""
    if name == DEFAULT:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r is not in the zone database; showing times in UTC", name)
        return UTC


def abbreviation(local: datetime) -> str:
    """ "CEST" for a time in zone; zones without a letter abbreviation give their offset
    ("-03"), shown as "UTC-03" so it reads as one."""
    name = local.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def wall_clock(moment: datetime, name: str) -> str:
    """``Sat 1 Jun 2030, 20:00 CEST``: the moment in zone ``name``, day names and 24-hour
    time reading the same everywhere, and the zone's abbreviation saying whose time it is."""
    local = moment.astimezone(zone(name))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {abbreviation(local)}"


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    zones: tuple[tuple[str, str], ...]  # (name, label) pairs: "Europe/Zagreb", "Zagreb"


@cache
def regions() -> tuple[Region, ...]:
    """The zones to pick from, grouped by region, for a form's <select>."""
    grouped: dict[str, list[tuple[str, str]]] = {region: [] for region in _REGIONS}
    for name in sorted(_known()):
        region, _, place = name.partition("/")
        if region in grouped and place:
            grouped[region].append((name, place.replace("_", " ").replace("/", " / ")))
    return tuple(Region(region, tuple(zones)) for region, zones in grouped.items() if zones)


@cache
def _offered() -> frozenset[str]:
    return frozenset(name for region in regions() for name, _ in region.zones)


def choices(current: str = DEFAULT) -> tuple[Region, ...]:
    """The zones to pick from, with ``current`` first when the list does not offer it (a
    name set through the API, such as "US/Eastern"), so a form does not change it unasked."""
    if current == DEFAULT or current in _offered() or current not in _known():
        return regions()
    return (Region("Current", ((current, current),)), *regions())


class NoSuchTime(ValueError):
    """A wall-clock time the zone skips (clocks go forward over it)."""


def to_moment(wall: datetime, name: str) -> datetime:
    """The moment a naive wall-clock time ``wall`` names in zone ``name``, in UTC.

    A time that happens twice (clocks go back) is taken the first time, as a poster means
    it; a time that never happens (clocks go forward) raises NoSuchTime."""
    here = zone(name)
    first = wall.replace(tzinfo=here, fold=0)
    moment = first.astimezone(UTC)
    if moment.astimezone(here).replace(tzinfo=None) != wall:
        raise NoSuchTime(f"{wall:%Y-%m-%d %H:%M} does not exist in {name}: clocks go forward")
    return moment
