from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.devnet import sample
from singlewindow.node import Node


@dataclass
class NodeClient:
    client: TestClient
    users: sample.SampleUsers

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self.users, who)}"}


@pytest.fixture
def node(database, tmp_path) -> NodeClient:
    """A Viet Nam node's API over a real database, with its sample users and rules."""
    settings = Settings(country="VN", database_url=database.url, home=tmp_path,
                        random_inspection_share=0.0, random_seed=3)
    opened = Node.open(settings, with_sample=True)
    users = sample.load(opened.database, "VN", tmp_path)
    return NodeClient(TestClient(create_app(opened)), users)
