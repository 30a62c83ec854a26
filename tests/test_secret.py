"""The session-signing secret: random, private, made once, shared by every worker."""

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
