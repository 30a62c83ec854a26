"""The session-signing secret and the instance folder: random, private to the service's
user, made once, shared by every worker."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from encyclopedia import create_app
from encyclopedia.files import private_secret


def test_the_secret_is_random_private_and_stable(tmp_path: Path, shipped_index):
    content, index = shipped_index
    first = create_app({"content_dir": content, "index_dir": index, "instance_dir": tmp_path})
    again = create_app({"content_dir": content, "index_dir": index, "instance_dir": tmp_path})
    key = first.config["SECRET_KEY"]
    assert len(key) >= 48 and key == again.config["SECRET_KEY"]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    other = create_app(
        {"content_dir": content, "index_dir": index, "instance_dir": tmp_path / "other"}
    )
    assert other.config["SECRET_KEY"] != key


def test_processes_starting_at_once_agree_on_one_secret(tmp_path: Path):
    with ProcessPoolExecutor(4) as pool:
        keys = set(pool.map(private_secret, [tmp_path / "secret_key"] * 16))
    assert len(keys) == 1


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_folder_and_accounts_database_are_private(tmp_path: Path, shipped_index):
    """Password hashes, the session secret and the audit log: no other user reads them,
    whether the folder is new or was made readable to all by an older version."""
    content, index = shipped_index
    fresh = tmp_path / "fresh"
    app = create_app({"content_dir": content, "index_dir": index, "instance_dir": fresh})
    app.extensions["workspace"].accounts.add("ann", "correct horse battery staple")
    assert mode(fresh) == 0o700
    assert mode(fresh / "librarians.sqlite3") == 0o600
    assert mode(fresh / "secret_key") == 0o600
    for extra in fresh.glob("librarians.sqlite3-*"):  # SQLite's -wal and -shm
        assert mode(extra) == 0o600, extra

    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    (old / "librarians.sqlite3").touch(mode=0o644)
    old.chmod(0o755)
    (old / "librarians.sqlite3").chmod(0o644)
    create_app({"content_dir": content, "index_dir": index, "instance_dir": old})
    assert mode(old) == 0o700 and mode(old / "librarians.sqlite3") == 0o600
