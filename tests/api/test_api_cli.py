"""``python -m api users ...``: users and tokens on the data folder PHYLODASH_DATA names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.services.accounts import Accounts, hash_token
from engine.storage.store import TinyDBStore


def users(data: Path, *arguments: str, typed: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m api users ARGUMENTS`` on ``data`` (``typed`` goes to its standard input)."""
    return subprocess.run(
        [sys.executable, "-m", "api", "users", *arguments],
        input=typed,
        capture_output=True,
        text=True,
        env={**os.environ, "PHYLODASH_DATA": str(data)},
        timeout=60,
        check=False,
    )


def test_add_prints_the_token_alone_on_the_last_line_and_stores_only_its_hash(tmp_path: Path) -> None:
    added = users(tmp_path, "add", "Ana@Example.org", "--admin")
    assert added.returncode == 0, added.stderr
    token = added.stdout.splitlines()[-1]
    assert token.startswith("pd_") and " " not in token
    accounts = Accounts(TinyDBStore(tmp_path))
    assert accounts.by_token(token).email == "ana@example.org"
    assert accounts.find("ana@example.org").role == "admin"
    stored = (tmp_path / "phylodash.json").read_text()
    assert token not in stored and hash_token(token) in stored


def test_token_revokes_the_old_one_and_list_shows_users(tmp_path: Path) -> None:
    first = users(tmp_path, "add", "bo@example.org").stdout.splitlines()[-1]
    second = users(tmp_path, "token", "bo@example.org").stdout.splitlines()[-1]
    accounts = Accounts(TinyDBStore(tmp_path))
    assert second != first and accounts.by_token(first) is None
    assert accounts.by_token(second).email == "bo@example.org"
    listed = users(tmp_path, "list")
    assert listed.returncode == 0 and "bo@example.org\tuser\t" in listed.stdout


def test_mistakes_are_one_sentence_and_status_2(tmp_path: Path) -> None:
    users(tmp_path, "add", "bo@example.org")
    for arguments, words in (
        (("add", "bo@example.org"), "already a user"),
        (("add", "not-an-email"), "not an email address"),
        (("token", "nobody@example.org"), "no user"),
    ):
        result = users(tmp_path, *arguments)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_password_is_read_from_standard_input_and_stored_hashed(tmp_path: Path) -> None:
    users(tmp_path, "add", "cy@example.org")
    result = users(tmp_path, "password", "cy@example.org", typed="s3cret-pass\n")
    assert result.returncode == 0, result.stderr
    accounts = Accounts(TinyDBStore(tmp_path))
    assert accounts.by_password("cy@example.org", "s3cret-pass").email == "cy@example.org"
    assert accounts.by_password("cy@example.org", "wrong-pass") is None
    assert accounts.by_password("nobody@example.org", "s3cret-pass") is None
    assert "s3cret-pass" not in (tmp_path / "phylodash.json").read_text()
    short = users(tmp_path, "password", "cy@example.org", typed="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr
