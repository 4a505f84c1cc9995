"""A node's database is for its own user: the SQLite file and its -wal/-shm are 0600, in a
0700 directory, as the keys are (the sample tokens file and a network node's home are in
tests/devnet/test_file_modes.py)."""

from __future__ import annotations

import pytest

from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
from tests.nodes import file_mode

pytestmark = pytest.mark.usefixtures("usual_umask")


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/node/VN.db")
    upgrade(database)
    with database.engine.connect() as connection:  # the WAL and its index exist while open
        home = tmp_path / "node"
        assert file_mode(home) == 0o700
        for name in ("VN.db", "VN.db-wal", "VN.db-shm"):
            assert (home / name).exists(), name
            assert file_mode(home / name) == 0o600, name
        connection.exec_driver_sql("select 1")
    database.dispose()


def test_a_database_left_readable_by_others_is_closed(tmp_path):
    file = tmp_path / "VN.db"
    file.touch(mode=0o644)
    file.chmod(0o644)
    database = Database(f"sqlite:///{file}")
    upgrade(database)
    assert file_mode(file) == 0o600
    database.dispose()
