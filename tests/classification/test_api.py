"""The assistant's API on Viet Nam's node (its sample users and schedule): suggestions with
the national lines under them; officers teach it, traders may not; an empty description is
refused with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from singlewindow.classification.assistant import Assistant
from singlewindow.core.db import Database
from tests.nodes import NodeClient, open_node

SUGGESTIONS = "/classification/suggestions"
LABELS = "/classification/labels"


@pytest.fixture
def vietnam(sqlite_database: Database, tmp_path: Path, ranker: Assistant) -> Iterator[NodeClient]:
    opened = open_node(sqlite_database, tmp_path, "VN")
    yield opened
    opened.opened.database.dispose()


def test_suggestions_with_confidences_and_national_lines(vietnam: NodeClient) -> None:
    answer = vietnam.client.post(SUGGESTIONS, json={"text": "Men's cotton crew neck T-shirt"},
                                 headers=vietnam.as_("trader"))
    assert answer.status_code == 200, answer.text
    suggestions = answer.json()["suggestions"]
    assert len(suggestions) == 5
    assert suggestions[0]["code"] == "610910"
    assert suggestions[0]["text"].startswith("T-shirts")
    assert all(line["code"].startswith("610910") and len(line["code"]) == 8
               for line in suggestions[0]["national_lines"])
    assert suggestions[0]["national_lines"], "the sample schedule has lines under 6109.10"
    confidences = [s["confidence"] for s in suggestions]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1


def test_an_officer_teaches_and_the_same_description_ranks_it_first(
        vietnam: NodeClient) -> None:
    text = "Bamboo fibre baby bowl set with spoon"
    taught = vietnam.client.post(LABELS, json={"description": text, "code": "4419.11"},
                                 headers=vietnam.as_("officer"))
    assert taught.status_code == 201, taught.text
    assert taught.json()["code"] == "441911"
    answer = vietnam.client.post(SUGGESTIONS, json={"text": text, "top": 3},
                                 headers=vietnam.as_("trader"))
    first = answer.json()["suggestions"][0]
    assert (first["code"], first["learnt"]) == ("441911", True)


def test_a_trader_may_not_teach(vietnam: NodeClient) -> None:
    answer = vietnam.client.post(LABELS, json={"description": "Bamboo bowl", "code": "441911"},
                                 headers=vietnam.as_("trader"))
    assert answer.status_code == 403
    assert "officer" in answer.json()["detail"]


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_an_empty_description_is_refused_with_the_reason(vietnam: NodeClient,
                                                         empty: str) -> None:
    answer = vietnam.client.post(SUGGESTIONS, json={"text": empty},
                                 headers=vietnam.as_("trader"))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"] == [{"path": "text", "message": problem["errors"][0]["message"]}]
    assert "the goods description is empty" in problem["detail"]
    assert "suggestions" not in problem


def test_suggestions_need_a_token(vietnam: NodeClient) -> None:
    assert vietnam.client.post(SUGGESTIONS, json={"text": "T-shirt"}).status_code == 401
