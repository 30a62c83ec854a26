"""``encyclopedia librarian ...`` and ``encyclopedia log``: accounts and the audit log
from the shell, against a real database in a temporary instance folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

from encyclopedia.cli import cli
from encyclopedia.config import Settings
from encyclopedia.librarian import Workspace
from tests.conftest import PASSWORD, SHIPPED_CONTENT


def run(instance: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(
        cli, list(args), input=input, env={"ENCYCLOPEDIA_INSTANCE_DIR": str(instance)}
    )


def accounts(instance: Path):
    return Workspace.from_settings(Settings.from_env(instance_dir=instance)).accounts


def test_add_asks_twice_and_stores_a_hash(tmp_path: Path):
    result = run(tmp_path, "librarian", "add", "ann", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Added librarian ann" in result.output
    assert PASSWORD not in result.output  # never echoed
    assert accounts(tmp_path).verify("ann", PASSWORD)


def test_add_refuses_a_mismatch_a_short_password_and_a_taken_name(tmp_path: Path):
    result = run(
        tmp_path,
        "librarian",
        "add",
        "ann",
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert "do not match" in result.output and result.exit_code == 0
    # Too short is said at once, before the repeat is asked for, and asked again.
    result = run(tmp_path, "librarian", "add", "bob", input=f"short\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    refused = result.output.index("at least 10 characters")
    assert "Repeat the password" not in result.output[:refused]
    assert accounts(tmp_path).verify("bob", PASSWORD)
    result = run(tmp_path, "librarian", "add", "ann", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1 and "already a librarian called 'ann'" in result.output
    assert [a.name for a in accounts(tmp_path).all()] == ["ann", "bob"]


def test_list_passwd_remove_and_the_log_that_records_them(tmp_path: Path):
    accounts(tmp_path).add("ann", PASSWORD)
    result = run(tmp_path, "librarian", "list")
    assert result.output.startswith("ann\tadded ")
    new = "another long passphrase"
    result = run(tmp_path, "librarian", "passwd", "ann", input=f"{new}\n{new}\n")
    assert result.exit_code == 0 and accounts(tmp_path).verify("ann", new)
    result = run(tmp_path, "librarian", "passwd", "bob", input=f"{new}\n{new}\n")
    assert result.exit_code == 1 and "no librarian called 'bob'" in result.output
    result = run(tmp_path, "librarian", "remove", "ann", input="y\n")
    assert result.exit_code == 0 and accounts(tmp_path).all() == []
    result = run(tmp_path, "log")
    lines = result.output.splitlines()
    assert "librarian removed: ann" in lines[0] and "(command line)" in lines[0]
    assert "password changed: ann" in lines[1]


def test_reindex_and_update_from_the_shell_are_in_the_log(tmp_path: Path, content_copy: Path):
    index = tmp_path / "index"
    base = ["--content-dir", str(content_copy), "--index-dir", str(index)]
    assert run(tmp_path, *base, "reindex", "--processes", "1").exit_code == 0
    assert run(tmp_path, *base, "update", "asthma").exit_code == 0
    result = run(tmp_path, "log", "--limit", "5")
    assert "index updated asthma: updated" in result.output
    shipped = len(list(SHIPPED_CONTENT.glob("*.md")))
    assert f"reindexed: {shipped} articles" in result.output
    assert "index updated asthma" in run(tmp_path, "log", "--slug", "asthma").output


def test_the_password_prompt_does_not_echo_in_a_real_terminal(tmp_path: Path):
    """Through a pseudo-terminal, as a librarian would type it."""
    import pty

    env = {**os.environ, "ENCYCLOPEDIA_INSTANCE_DIR": str(tmp_path)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command line
        os.execve(
            sys.executable,
            [sys.executable, "-m", "encyclopedia", "librarian", "add", "ann"],
            env,
        )
    seen = b""

    def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            chunk = os.read(fd, 1024)
            if not chunk:
                raise AssertionError(f"ended before {marker!r}: {seen!r}")
            seen += chunk

    read_until(b"Password for ann:")
    os.write(fd, PASSWORD.encode() + b"\n")
    read_until(b"Repeat the password:")
    os.write(fd, PASSWORD.encode() + b"\n")
    read_until(b"Added librarian ann")
    os.waitpid(pid, 0)
    assert PASSWORD.encode() not in seen
    assert accounts(tmp_path).verify("ann", PASSWORD)
