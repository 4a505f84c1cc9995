"""A demonstration node's data is for its own user: node.log and the tokens file are 0600,
in 0700 directories, as the keys are (the database itself: tests/core/test_file_modes.py)."""

from __future__ import annotations

import json

import pytest

from singlewindow.devnet import sample
from singlewindow.devnet.network import NodeProcess
from tests.nodes import file_mode, free_port

pytestmark = pytest.mark.usefixtures("usual_umask")


def test_the_sample_tokens_file_is_private(sqlite_database, tmp_path):
    home = tmp_path / "home"
    users = sample.load(sqlite_database, "VN", home)
    file = sample.tokens_file(home, "VN")
    assert json.loads(file.read_text())["admin"] == users.admin
    assert file_mode(file) == 0o600 and file_mode(home) == 0o700


def test_a_network_nodes_home_log_database_and_tokens_are_private(tmp_path):
    home = tmp_path / "network" / "VN"
    node = NodeProcess("VN", free_port(), home)
    try:
        node.start({"SINGLEWINDOW_RANDOM_SHARE": "0"})
        node.wait_ready()
        assert file_mode(home) == 0o700
        for name in ("node.log", "VN.db", "VN.db-wal", "VN.db-shm", "tokens-VN.json"):
            assert file_mode(home / name) == 0o600, name
        tokens = node.tokens()
    finally:
        node.stop()
    log = (home / "node.log").read_text()
    assert not any(token in log for token in tokens.values() if len(token) > 30)
