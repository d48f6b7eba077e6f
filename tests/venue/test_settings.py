from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.cli import main
from tests.support import free_port
from venue_server.errors import SettingsError
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore


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


# -- the config file, and what wins over it ---------------------------------------------------


def write_config(folder: Path, text: str, name: str = "venue.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_flags_beat_the_environment_which_beats_the_file_which_beats_defaults(
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path, 'host = "0.0.0.0"\nport = 9000\nsync_interval = 2\nstale_after = 60\n'
    )
    env = {"BILTEN_VENUE_PORT": "9100", "BILTEN_VENUE_SYNC_INTERVAL": "3"}

    settings = VenueSettings.load(config=config, env=env, sync_interval=4.0, default_config=None)

    assert settings.host == "0.0.0.0"  # file
    assert settings.port == 9100  # environment over file
    assert settings.sync_interval == 4.0  # flag over environment
    assert settings.stale_after == 60.0
    assert settings.max_backoff == 300.0  # default
    assert settings.config_file == config


def test_a_relative_data_dir_is_taken_from_the_config_files_folder(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'data_dir = "state"\n')

    settings = VenueSettings.load(config=config, env={}, default_config=None)

    assert settings.db_path == tmp_path / "state" / "venue.sqlite3"


def test_the_default_config_file_is_read_only_when_it_exists(tmp_path: Path) -> None:
    default = tmp_path / "etc" / "venue.toml"

    assert VenueSettings.load(env={}, default_config=default).port == 8100
    default.parent.mkdir()
    write_config(default.parent, "port = 8300\n")
    assert VenueSettings.load(env={}, default_config=default).port == 8300
    other = write_config(tmp_path, "port = 8400\n", "other.toml")
    chosen = {"BILTEN_VENUE_CONFIG": str(other)}
    assert VenueSettings.load(env=chosen, default_config=default).port == 8400


def test_a_named_config_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(SettingsError, match=r"nope\.toml does not exist"):
        VenueSettings.load(config=missing, env={}, default_config=None)
    with pytest.raises(SettingsError, match=r"nope\.toml does not exist"):
        VenueSettings.load(env={"BILTEN_VENUE_CONFIG": str(missing)}, default_config=None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 8100\n", "unknown setting 'prot'"),
        ('port = "8100"\n', "port must be a whole number"),
        ("port = 81.5\n", "port must be a whole number"),
        ('announce = "yes"\n', "announce must be true or false"),
        ("sync_interval = true\n", "sync_interval must be a number of seconds"),
        ("host = 8100\n", "host must be a string"),
        ("[server]\nport = 8100\n", "unknown setting 'server'"),
        ("port = \n", "is not valid TOML"),
    ],
)
def test_a_wrong_key_or_type_names_the_key_and_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    config = write_config(tmp_path, text)

    with pytest.raises(SettingsError) as refused:
        VenueSettings.load(config=config, env={}, default_config=None)

    assert message in str(refused.value)
    assert str(config) in str(refused.value)


def test_a_value_out_of_range_says_where_it_was_set(tmp_path: Path) -> None:
    config = write_config(tmp_path, "port = 0\nsync_interval = 600\n")

    with pytest.raises(SettingsError, match=f"port set in {config}"):
        VenueSettings.load(config=config, env={}, default_config=None)
    with pytest.raises(SettingsError, match="port set by BILTEN_VENUE_PORT"):
        VenueSettings.load(env={"BILTEN_VENUE_PORT": "70000"}, default_config=None)
    with pytest.raises(SettingsError, match="max_backoff is the default; sync_interval set in"):
        VenueSettings.load(config=config, env={}, default_config=None, port=8100)


def test_the_venue_key_is_refused_in_the_config_file_without_repeating_it(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, 'api_key = "vk_live_do_not_show"\n')

    with pytest.raises(SettingsError) as refused:
        VenueSettings.load(config=config, env={}, default_config=None)

    assert "bilten venue pair" in str(refused.value)
    assert "vk_live_do_not_show" not in str(refused.value)


def test_the_shipped_example_config_is_valid_as_it_stands() -> None:
    example = Path(__file__).resolve().parents[2] / "packaging" / "venue" / "venue.toml.example"

    settings = VenueSettings.load(config=example, env={}, default_config=None)

    assert settings.data_dir == Path("/var/lib/bilten-venue")
    assert (settings.host, settings.port, settings.stale_after) == ("0.0.0.0", 8100, 900.0)


# -- the command line -------------------------------------------------------------------------


def test_serve_with_an_unusable_config_starts_nothing_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    config = write_config(tmp_path, f'data_dir = "{data}"\nlog_levle = "debug"\n')

    code = main(["venue", "serve", "--config", str(config)])

    assert code == 2
    err = capsys.readouterr().err
    assert "unknown setting 'log_levle'" in err and str(config) in err
    assert not data.exists()


def test_config_shows_each_setting_and_where_it_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, 'host = "0.0.0.0"\nport = 9000\nlog_level = "debug"\n')
    monkeypatch.setenv("BILTEN_VENUE_PORT", "9100")
    monkeypatch.delenv("BILTEN_VENUE_LOG_LEVEL", raising=False)

    code = main(["venue", "config", "--config", str(config), "--log-level", "ERROR", "--json"])

    assert code == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["config_file"] == str(config)
    assert shown["settings"]["host"] == "0.0.0.0" and shown["sources"]["host"] == str(config)
    assert shown["settings"]["port"] == 9100
    assert shown["sources"]["port"] == "BILTEN_VENUE_PORT"
    assert (shown["settings"]["log_level"], shown["sources"]["log_level"]) == ("error", "flag")
    assert shown["sources"]["upload_batch"] == "default"


def test_other_commands_use_the_data_dir_the_config_file_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BILTEN_VENUE_DATA", "BILTEN_DATA"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "state"
    config = write_config(tmp_path, f'data_dir = "{data}"\n')

    code = main(["venue", "pairing-code", "--config", str(config), "--url", "http://10.0.0.2:8100"])

    assert code == 0
    assert (data / "venue.sqlite3").exists()
    assert (data / "pairing-code.png").exists()
    assert "Pairing code for gate 'main'" in capsys.readouterr().out


def test_serve_runs_on_its_config_file_stops_cleanly_on_sigterm_and_never_logs_the_key(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    secret = "vk_" + "s3cr3t" * 6
    store = VenueStore(data / "venue.sqlite3")
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", secret, "Hall"))
    store.close()
    port = free_port()
    config = write_config(
        tmp_path,
        f'data_dir = "{data}"\nport = {port}\nannounce = false\nlog_json = true\n'
        'log_level = "debug"\nsync_interval = 3600\nmax_backoff = 3600\n',
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILTEN_VENUE", "BILTEN_DATA"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "venue", "serve", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = wait_for_health(process, f"http://127.0.0.1:{port}/health")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)

    assert health["status"] == "ok" and health["paired"] is True
    text = output.decode()
    # uvicorn finishes its shutdown, then dies of the signal it caught; systemd counts that
    # (like exit status 0) as a clean stop.
    assert process.returncode in (0, -signal.SIGTERM), text
    assert "Application shutdown complete." in text
    assert f"settings from {config}" in text
    assert any(line.startswith("{") for line in text.splitlines())  # log_json from the file
    assert "cloud sync failed" in text  # the sync round ran and logged its failure ...
    assert secret not in text  # ... without the key it used


def wait_for_health(process: subprocess.Popen[bytes], url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        try:
            answer: dict[str, Any] = httpx.get(url, timeout=1).json()
            return answer
        except httpx.TransportError:
            assert process.poll() is None, "the venue server exited before serving"
            assert time.monotonic() < deadline, "the venue server did not start in 30 s"
            time.sleep(0.1)
