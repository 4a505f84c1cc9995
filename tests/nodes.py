"""Nodes for tests: a Viet Nam node's API in process, with its sample users (what the `node`
fixture of tests/conftest.py gives the API tests of every room and of the platform), and
real node worker processes sharing one database (the `two_workers` fixture)."""

from __future__ import annotations

import random
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.paths import API
from singlewindow.devnet import sample
from singlewindow.devnet.network import NodeProcess
from singlewindow.node import Node


@contextmanager
def served(node: Node) -> Iterator[str]:
    """`node`'s app served by uvicorn on a loopback port in this process (a real HTTP server
    for a client such as the command line); its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(node), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the node did not start serving within 30 s"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


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


def open_node(database: Database, home: Path, country: str = "VN") -> NodeClient:
    """A node's API (Viet Nam's unless told) over a real database, with its sample users and
    rules."""
    settings = Settings(country=country, database_url=database.url, home=home,
                        random_inspection_share=0.0, random_seed=3)
    opened = Node.open(settings, with_sample=True)
    users = sample.load(opened.database, country, home)
    return NodeClient(api_client(create_app(opened)), users, opened)


# Below the kernel's ephemeral range (32768-60999 here), so that an outgoing connection of
# another test cannot take a port between the probe and the node's bind: a port asked of the
# kernel (bind to 0) is in that range and was once taken so (a node exited at start-up in CI).
_PORTS = range(20000, 32000)


def free_ports(count: int = 1) -> int:
    """The first of `count` consecutive free ports (`start_network` gives its nodes
    consecutive ports)."""
    for _ in range(200):
        base = random.randrange(_PORTS.start, _PORTS.stop - count)
        if all(_free(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports in {_PORTS}")


def free_port() -> int:
    return free_ports(1)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


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


# Seconds a network test waits for a message to go through (a restarted node's retry included).
WAIT = 60.0


def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> float:
    """Wait for `condition` (looked at every 50 ms); the moment it held. Raises saying `what`
    did not happen within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)
    return time.monotonic()
