"""A node's data is for its own user: the SQLite database and its -wal/-shm, node.log and
the tokens file are 0600, in 0700 directories, as the keys are."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
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


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/node/VN.db")
    upgrade(database)
    with database.engine.connect() as connection:  # the WAL and its index exist while open
        home = tmp_path / "node"
        assert mode(home) == 0o700
        for name in ("VN.db", "VN.db-wal", "VN.db-shm"):
            assert (home / name).exists(), name
            assert mode(home / name) == 0o600, name
        connection.exec_driver_sql("select 1")
    database.dispose()


def test_a_database_left_readable_by_others_is_closed(tmp_path):
    file = tmp_path / "VN.db"
    file.touch(mode=0o644)
    file.chmod(0o644)
    database = Database(f"sqlite:///{file}")
    upgrade(database)
    assert mode(file) == 0o600
    database.dispose()


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
