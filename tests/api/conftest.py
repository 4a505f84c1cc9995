from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from singlewindow import sample
from singlewindow.api.app import create_app
from singlewindow.core.config import Settings


@dataclass
class Node:
    client: TestClient
    users: sample.SampleUsers

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self.users, who)}"}


@pytest.fixture
def node(database, tmp_path) -> Node:
    """A Viet Nam node's API over a real database, with its sample users and rules."""
    settings = Settings(country="VN", database_url=database.url, home=tmp_path,
                        random_inspection_share=0.0, random_seed=3)
    users = sample.load(database, "VN", tmp_path)
    return Node(TestClient(create_app(settings, database)), users)
