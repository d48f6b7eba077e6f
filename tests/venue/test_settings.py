from __future__ import annotations

from pathlib import Path

import pytest

from venue_server.errors import SettingsError
from venue_server.settings import VenueSettings


def test_defaults_need_no_environment() -> None:
    settings = VenueSettings.from_env({})

    assert settings.data_dir == Path("bilten-data/venue")
    assert (settings.host, settings.port, settings.sync_interval) == ("127.0.0.1", 8100, 5.0)


def test_environment_then_flags_fill_settings() -> None:
    env = {"BILTEN_DATA": "/srv/bilten", "BILTEN_VENUE_PORT": "9000"}

    from_env = VenueSettings.from_env(env)
    flagged = VenueSettings.from_env(env, port=9100, host=None, sync_interval=1.5)

    assert from_env.data_dir == Path("/srv/bilten/venue")
    assert from_env.port == 9000
    assert (flagged.port, flagged.host, flagged.sync_interval) == (9100, "127.0.0.1", 1.5)
    assert VenueSettings.from_env({"BILTEN_VENUE_DATA": "/x"}).db_path == Path("/x/venue.sqlite3")


@pytest.mark.parametrize(
    "env",
    [
        {"BILTEN_VENUE_PORT": "eighty"},
        {"BILTEN_VENUE_PORT": "0"},
        {"BILTEN_VENUE_SYNC_INTERVAL": "-1"},
    ],
)
def test_unusable_values_are_refused_clearly(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        VenueSettings.from_env(env)
