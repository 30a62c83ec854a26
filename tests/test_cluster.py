"""`make cluster-test`, shortened: nginx, an editor and two replicas as separate processes
with separate folders, on loopback (tests/cluster.py says what it checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_cluster_serves_saves_survives_a_dead_replica_and_refuses_damage():
    done = subprocess.run(
        [sys.executable, "-m", "tests.cluster", "--short"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout and "cluster test passed" in done.stdout
