"""Nodes for tests: a Viet Nam node's API in process, with its sample users (what the `node`
fixture of tests/conftest.py gives the API tests of every room and of the platform), and
real node worker processes sharing one database (the `two_workers` fixture)."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.paths import API
from singlewindow.devnet import sample
from singlewindow.devnet.network import NodeProcess
from singlewindow.node import Node


def api_client(app: object) -> TestClient:
    """A test client of a node's JSON API: its paths are relative to /api/v1 (`/declarations`
    is /api/v1/declarations); an absolute URL reaches the rest (`http://testserver/as4`)."""
    return TestClient(app, base_url=f"http://testserver{API}")  # type: ignore[arg-type]


@dataclass
class NodeClient:
    client: TestClient
    users: sample.SampleUsers
    opened: Node

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self.users, who)}"}


def open_node(database: Database, home: Path) -> NodeClient:
    """A Viet Nam node's API over a real database, with its sample users and rules."""
    settings = Settings(country="VN", database_url=database.url, home=home,
                        random_inspection_share=0.0, random_seed=3)
    opened = Node.open(settings, with_sample=True)
    users = sample.load(opened.database, "VN", home)
    return NodeClient(api_client(create_app(opened)), users, opened)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def worker_processes(database: Database, home: Path, count: int = 2) -> Iterator[
    list[NodeProcess]
]:
    """`count` node processes serving `database`, standalone, without sample content and
    without random checks, each on a port of its own."""
    env = {"SINGLEWINDOW_DATABASE_URL": database.url, "SINGLEWINDOW_SAMPLE": "0",
           "SINGLEWINDOW_RANDOM_SHARE": "0"}
    workers = [NodeProcess("VN", free_port(), home / f"worker{n}") for n in range(count)]
    try:
        for worker in workers:
            worker.start(env)
            worker.wait_ready()  # one after the other: the first migrates the database
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def file_mode(path: Path) -> int:
    """A node file's permission bits (its data is for its own user: 0600 in 0700)."""
    return stat.S_IMODE(path.stat().st_mode)
