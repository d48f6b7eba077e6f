"""`bilten ticket verify` as scripts call it: a subprocess, JSON lines, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shared.keys import Keyring, VerifyKey, decode_public_key

VECTORS = json.loads((Path(__file__).parents[2] / "docs" / "ticket-token-vectors.json").read_text())


def bilten(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    Keyring(
        VerifyKey(k["key_id"], k["event_id"], decode_public_key(k["public_key"]))
        for k in VECTORS["keys"]
    ).dump(path)
    return path


def test_verify_prints_one_object_per_token(tmp_path):
    good = VECTORS["valid"][0]
    forged = next(v for v in VECTORS["invalid"] if v["reason"] == "forged")
    result = bilten(
        "ticket", "verify", "--keys", str(key_file(tmp_path)), good["token"], forged["token"]
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {
        "token": good["token"],
        "valid": True,
        "reason": "ok",
        "event_id": good["claims"]["event_id"],
        "ticket_id": good["claims"]["ticket_id"],
    }
    assert lines[1]["valid"] is False and lines[1]["reason"] == "forged"
    assert result.returncode == 1  # not every token was valid


def test_verify_reads_tokens_from_stdin(tmp_path):
    tokens = "\n".join(v["token"] for v in VECTORS["valid"])
    result = bilten("ticket", "verify", "--keys", str(key_file(tmp_path)), stdin=tokens)
    assert result.returncode == 0
    assert [json.loads(x)["valid"] for x in result.stdout.splitlines()] == [True] * len(
        VECTORS["valid"]
    )


def test_unreadable_token_has_no_ids(tmp_path):
    result = bilten("ticket", "verify", "--keys", str(key_file(tmp_path)), "hello")
    assert json.loads(result.stdout) == {
        "token": "hello",
        "valid": False,
        "reason": "unreadable",
        "event_id": None,
        "ticket_id": None,
    }


def test_a_broken_key_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "keys.json"
    bad.write_text('{"keys": [{"key_id": 1}]}')
    result = bilten("ticket", "verify", "--keys", str(bad), "X")
    assert result.returncode == 2
    assert "not a Bilten key file" in result.stderr
    assert result.stdout == ""
