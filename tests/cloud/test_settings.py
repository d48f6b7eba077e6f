from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

import pytest

from cloud.errors import ConfigurationError
from cloud.settings import CloudSettings, default_data_dir


def test_embedded_generates_secrets_once_readable_only_by_owner(tmp_path: Path) -> None:
    first = CloudSettings.embedded(tmp_path / "cloud")
    again = CloudSettings.embedded(tmp_path / "cloud")

    assert first.database_url == f"sqlite:///{tmp_path / 'cloud' / 'cloud.db'}"
    assert len(first.master_key) == 32
    assert (first.master_key, first.jwt_secret) == (again.master_key, again.jwt_secret)
    for name in ("master.key", "jwt.secret"):
        mode = stat.S_IMODE((tmp_path / "cloud" / name).stat().st_mode)
        assert mode == 0o600, name


def test_environment_overrides_and_writes_no_secret_file(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    env = {
        "BILTEN_DATABASE_URL": "postgresql+psycopg://db.example/bilten",
        "BILTEN_MASTER_KEY": base64.b64encode(key).decode(),
        "BILTEN_JWT_SECRET": "j" * 40,
    }
    settings = CloudSettings.from_env(tmp_path, environ=env)

    assert settings.database_url == env["BILTEN_DATABASE_URL"]
    assert settings.master_key == key
    assert settings.jwt_secret == "j" * 40
    assert not settings.is_embedded_database
    assert not (tmp_path / "master.key").exists()
    assert key.hex() not in repr(settings)


@pytest.mark.parametrize(
    "value",
    ["not base64!", base64.b64encode(b"short").decode(), ""],
    ids=["junk", "short", "empty"],
)
def test_bad_master_key_is_refused_clearly(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigurationError, match="BILTEN_MASTER_KEY"):
        CloudSettings.from_env(tmp_path, environ={"BILTEN_MASTER_KEY": value})


def test_default_data_dir_follows_bilten_data() -> None:
    assert default_data_dir({"BILTEN_DATA": "/srv/bilten"}) == Path("/srv/bilten/cloud")
    assert default_data_dir({}) == Path("bilten-data/cloud")


def test_the_database_pool_is_read_from_the_environment(tmp_path: Path) -> None:
    assert CloudSettings.embedded(tmp_path).database_pool == 40
    given = CloudSettings.from_env(tmp_path, environ={"BILTEN_DATABASE_POOL": " 12 "})
    assert given.database_pool == 12


@pytest.mark.parametrize("value", ["twelve", "1", "0", "-5", "1001", "2.5"])
def test_a_database_pool_no_process_could_work_with_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigurationError, match="BILTEN_DATABASE_POOL"):
        CloudSettings.from_env(tmp_path, environ={"BILTEN_DATABASE_POOL": value})
