"""A Viet Nam node's API in process, with its sample users: what the `node` fixture of
tests/conftest.py gives the API tests of every room (and of the platform, tests/api)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet import sample
from singlewindow.node import Node


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
    return NodeClient(TestClient(create_app(opened)), users, opened)
