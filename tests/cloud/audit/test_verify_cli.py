"""``bilten cloud audit verify`` as an operator runs it: the head of an intact chain on
stdout, exit 1 naming the entry someone changed behind the database's back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

BILTEN = str(Path(sys.executable).with_name("bilten"))


def bilten(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BILTEN_")}
    return subprocess.run(
        [BILTEN, "cloud", *args, "--data", str(data)],
        env=clean,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_verify_prints_the_head_and_finds_a_changed_entry(tmp_path: Path) -> None:
    for email in ("root@example.org", "second@example.org"):
        made = bilten(tmp_path, "admin", "create", "--email", email, stdin="admin password\n")
        assert made.returncode == 0, made.stderr

    intact = bilten(tmp_path, "audit", "verify")

    assert intact.returncode == 0, intact.stderr
    seq, head = intact.stdout.split()
    assert seq == "2" and len(head) == 64
    assert "2 entries, chain intact" in intact.stderr
    with sqlite3.connect(tmp_path / "cloud.db") as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")

    broken = bilten(tmp_path, "audit", "verify")

    assert broken.returncode == 1
    assert broken.stdout == ""
    assert "broken at entry 1" in broken.stderr and "changed after it was written" in broken.stderr
