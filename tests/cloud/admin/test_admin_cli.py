"""``bilten cloud admin create``: makes the first platform admin on a fresh server, or promotes
an existing account, reading the password from stdin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from cloud.db import make_engine, make_session_factory
from cloud.users.models import User
from cloud.users.service import authenticate

BILTEN = str(Path(sys.executable).with_name("bilten"))


def _create(data: Path, email: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            BILTEN,
            "cloud",
            "admin",
            "create",
            "--email",
            email,
            "--name",
            "Root",
            "--data",
            str(data),
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_admin_create_makes_then_promotes_and_refuses_bad_input(tmp_path: Path) -> None:
    created = _create(tmp_path, "Root@Example.org", "admin password")
    again = _create(tmp_path, "root@example.org")
    bad_email = _create(tmp_path, "not-an-email", "admin password")
    short = _create(tmp_path, "new@example.org", "short")

    assert created.returncode == 0, created.stderr
    assert "created platform admin root@example.org" in created.stderr
    assert "admin password" not in created.stdout + created.stderr
    assert again.returncode == 0, again.stderr
    assert "made platform admin root@example.org" in again.stderr
    assert bad_email.returncode == 1 and "not an email address" in bad_email.stderr
    assert short.returncode == 1 and "8 to 200 characters" in short.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    with make_session_factory(engine)() as session:
        user = authenticate(session, "root@example.org", "admin password")
        assert (user.is_admin, user.name, user.email_verified_at is not None) == (
            True,
            "Root",
            True,
        )
        assert session.scalars(select(User.email)).all() == ["root@example.org"]
    engine.dispose()
