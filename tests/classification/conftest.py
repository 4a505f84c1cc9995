"""One assistant for the whole session: it loads the packaged embeddings and builds its BM25
indexes once (about a second), as a node's process does."""

from __future__ import annotations

import pytest

from singlewindow.classification.assistant import Assistant, assistant


@pytest.fixture(scope="session")
def ranker() -> Assistant:
    return assistant()
