"""A demonstration node's data is for its own user: node.log and the tokens file are 0600,
in 0700 directories, as the keys are (the database itself: tests/core/test_file_modes.py)."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from singlewindow.devnet import sample
from singlewindow.devnet.network import NodeProcess


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    # The usual umask, which leaves new files readable by everyone unless the node says no.
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_sample_tokens_file_is_private(sqlite_database, tmp_path):
    home = tmp_path / "home"
    users = sample.load(sqlite_database, "VN", home)
    file = sample.tokens_file(home, "VN")
    assert json.loads(file.read_text())["admin"] == users.admin
    assert mode(file) == 0o600 and mode(home) == 0o700


def test_a_network_nodes_home_log_database_and_tokens_are_private(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "network" / "VN"
    node = NodeProcess("VN", port, home)
    try:
        node.start({"SINGLEWINDOW_RANDOM_SHARE": "0"})
        node.wait_ready()
        assert mode(home) == 0o700
        for name in ("node.log", "VN.db", "VN.db-wal", "VN.db-shm", "tokens-VN.json"):
            assert mode(home / name) == 0o600, name
        tokens = node.tokens()
    finally:
        node.stop()
    log = (home / "node.log").read_text()
    assert not any(token in log for token in tokens.values() if len(token) > 30)
