"""Reading and writing wall-clock times in a venue's zone, across the days clocks change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloud.errors import InvalidInput
from cloud.venues import zones


def test_a_time_typed_in_the_venues_zone_is_the_moment_it_names_there() -> None:
    summer = zones.to_moment(datetime(2030, 6, 1, 20, 0), "Europe/Zagreb")
    winter = zones.to_moment(datetime(2030, 12, 1, 20, 0), "Europe/Zagreb")
    assert summer == datetime(2030, 6, 1, 18, 0, tzinfo=UTC)
    assert winter == datetime(2030, 12, 1, 19, 0, tzinfo=UTC)
    assert zones.to_moment(datetime(2030, 6, 1, 20, 0), "UTC") == datetime(
        2030, 6, 1, 20, 0, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused_and_one_they_repeat_is_the_first() -> None:
    # 2030-03-31: clocks in Zagreb go from 02:00 straight to 03:00.
    with pytest.raises(zones.NoSuchTime, match="does not exist in Europe/Zagreb"):
        zones.to_moment(datetime(2030, 3, 31, 2, 30), "Europe/Zagreb")
    # 2030-10-27: 02:30 happens twice (CEST, then CET); a poster means the first.
    assert zones.to_moment(datetime(2030, 10, 27, 2, 30), "Europe/Zagreb") == datetime(
        2030, 10, 27, 0, 30, tzinfo=UTC
    )


def test_times_are_written_with_whose_time_they_are() -> None:
    moment = datetime(2030, 6, 1, 18, 0, tzinfo=UTC)
    assert zones.wall_clock(moment, "Europe/Zagreb") == "Sat 1 Jun 2030, 20:00 CEST"
    assert zones.wall_clock(moment, "UTC") == "Sat 1 Jun 2030, 18:00 UTC"
    # A zone without a letter abbreviation says its offset as one.
    assert zones.wall_clock(moment, "America/Sao_Paulo") == "Sat 1 Jun 2030, 15:00 UTC-03"
    assert zones.wall_clock(moment, "Asia/Kathmandu") == "Sat 1 Jun 2030, 23:45 UTC+0545"


def test_only_zone_names_are_accepted() -> None:
    assert zones.checked(" Europe/Zagreb ") == "Europe/Zagreb"
    for bad in ("", "Europe/Atlantis", "CEST", "../../etc/passwd", "localtime"):
        with pytest.raises(InvalidInput, match="not a time zone"):
            zones.checked(bad)


def test_the_list_to_pick_from_keeps_a_zone_set_by_name_that_it_does_not_offer() -> None:
    offered = {name for region in zones.regions() for name, _ in region.zones}
    assert "Europe/Zagreb" in offered and "America/Argentina/Buenos_Aires" in offered
    assert "US/Eastern" not in offered  # a legacy alias, accepted but not offered
    assert zones.choices("Europe/Zagreb") == zones.regions()
    first = zones.choices("US/Eastern")[0]
    assert first.zones == (("US/Eastern", "US/Eastern"),)
