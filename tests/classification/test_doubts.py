"""Doubts about a declared code: a code the assistant finds very unlikely for the goods
described is a reason for at least a documentary check; a plausible one is not; each
description is weighed once, however often it is declared; the node wires it into clearance
and a setting turns it off."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from singlewindow.classification import services
from singlewindow.classification.assistant import Assistant, LearntLabels, Weighed
from singlewindow.classification.services import Classifier
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet.traffic import GOODS as TRAFFIC_GOODS
from tests.builders import COFFEE, as_json, import_declaration
from tests.nodes import NodeClient, open_node

T_SHIRTS = "Cotton T-shirts"
MOTOR_CAR = "87032310"  # a national line of the sample schedule: motor cars, 1,500-2,000 cc


@pytest.fixture
def classifier(sqlite_database: Database, ranker: Assistant) -> Classifier:
    return Classifier(sqlite_database, ranker=ranker)


def test_t_shirts_declared_as_a_motor_car_are_doubted_with_the_suggestion(
        classifier: Classifier) -> None:
    reason = classifier.doubt(T_SHIRTS, MOTOR_CAR)
    assert reason is not None
    assert "subheading 870323 very unlikely" in reason
    assert "chapter 87: under 0.01%" in reason
    assert "it suggests 610910 T-shirts" in reason and "%)" in reason


def test_a_plausible_code_is_not_doubted(classifier: Classifier) -> None:
    assert classifier.doubt(T_SHIRTS, "61091000") is None
    assert classifier.doubt(T_SHIRTS, "6109.10") is None
    # Knitted T-shirts of man-made fibres: another subheading, but a likely chapter.
    assert classifier.doubt(T_SHIRTS, "61099030") is None


@pytest.mark.parametrize(("description", "code"), [
    *[(description, code) for code, description, *_ in TRAFFIC_GOODS],
    ("Green coffee beans", "09011100"), ("Smartphones", "85171300"), ("Laptops", "84713000"),
    ("Wooden furniture", "94036090"), ("Hot-rolled steel coils, pickled, 5 mm", "72082500"),
    ("Cigarettes", "24022090"), ("Fireworks", "36041000"), ("Rattan garden chair", "94017900"),
])
def test_the_goods_of_the_samples_and_the_traffic_are_not_doubted(
        classifier: Classifier, description: str, code: str) -> None:
    assert classifier.doubt(description, code) is None


def test_what_cannot_be_judged_is_not_doubted(classifier: Classifier) -> None:
    assert classifier.doubt("", MOTOR_CAR) is None
    assert classifier.doubt("   ", MOTOR_CAR) is None
    assert classifier.doubt("x" * 1001, MOTOR_CAR) is None  # too long to rank
    assert classifier.doubt(T_SHIRTS, "8703") is None  # not a subheading
    assert classifier.doubt(T_SHIRTS, "999999") is None  # not in HS 2022
    # A description the assistant cannot place (its first suggestion is weak) doubts nothing.
    assert classifier.doubt("machine parts", MOTOR_CAR) is None


@pytest.mark.parametrize("description", [
    "Assorted items, see invoice", "samples", "spare parts", "mixed cargo", "FAK",
    "consolidated cargo STC 12 packages", "personal effects", "general merchandise",
])
def test_a_vague_description_is_held_to_no_code(classifier: Classifier,
                                                 description: str) -> None:
    """The assistant finds such words in the nomenclature ("samples": albums for samples,
    "mixed cargo": cargo vessels) with confidence: the goods are unknown, not misdeclared."""
    assert classifier.doubt(description, MOTOR_CAR) is None


class CountingRanker:
    """The real ranker, counting the descriptions it is asked to weigh."""

    def __init__(self, ranker: Assistant) -> None:
        self.ranker = ranker
        self.weighed: list[str] = []

    def weigh(self, texts: Sequence[str], top: int = 5,
              labels: LearntLabels | None = None) -> list[Weighed]:
        self.weighed.extend(texts)
        return self.ranker.weigh(texts, top, labels)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ranker, name)


def test_in_bulk_each_description_is_weighed_once_and_kept(
        sqlite_database: Database, ranker: Assistant) -> None:
    counting = CountingRanker(ranker)
    classifier = Classifier(sqlite_database, ranker=counting)  # type: ignore[arg-type]
    pairs = [(T_SHIRTS, MOTOR_CAR), ("cotton t-shirts", MOTOR_CAR), (T_SHIRTS, "61091000"),
             ("", MOTOR_CAR), ("Green coffee beans", "09011100")] * 50
    found = classifier.doubts(pairs)
    assert found == [classifier.doubt(d, c) for d, c in pairs]
    assert found[0] is not None and found[1] is not None and found[2] is None
    assert sorted(counting.weighed) == sorted(["Green coffee beans", T_SHIRTS, "cotton t-shirts"])
    classifier.doubts(pairs)
    assert len(counting.weighed) == 3, "the second time, every description was known"


def test_the_kept_weighings_are_bounded(sqlite_database: Database, ranker: Assistant,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MOST_WEIGHED", 2)
    counting = CountingRanker(ranker)
    classifier = Classifier(sqlite_database, ranker=counting)  # type: ignore[arg-type]
    classifier.doubts([("Laptops", "84713000"), ("Smartphones", "85171300"),
                       ("Fireworks", "36041000")])
    assert list(classifier._weighed) == ["Smartphones", "Fireworks"]
    classifier.doubt("Laptops", "84713000")
    assert counting.weighed[-1] == "Laptops", "the oldest was let go and is weighed again"


def test_a_label_moves_the_doubt(classifier: Classifier) -> None:
    """An officer says these goods are of chapter 87: the code is no longer doubted (the kept
    weighings are set aside when labels move)."""
    from singlewindow.access.model import Principal, Role

    description = "Cotton T-shirts seat covers for cars"
    officer = Principal("officer1", Role.OFFICER, office="VNHCM01")
    before = classifier.doubt(description, "870899")
    classifier.learn(description, "870899", officer)
    assert classifier.doubt(description, "870899") is None
    assert before is None or "870899" in before


# The concern at lodgement, on a node.

@pytest.fixture
def vietnam(sqlite_database: Database, tmp_path: Path, ranker: Assistant) -> Iterator[NodeClient]:
    opened = open_node(sqlite_database, tmp_path, "VN")
    yield opened
    opened.opened.database.dispose()


def t_shirts(code: str) -> dict[str, Any]:
    item = replace(COFFEE, commodity_code=code, description="cotton T-shirts",
                   quantity_unit="u")
    return as_json(import_declaration(f"LRN-TS-{code}", items=(item,)))


def test_an_unlikely_code_sends_the_declaration_to_yellow_with_the_reason(
        vietnam: NodeClient) -> None:
    lodged = vietnam.client.post("/declarations", json=t_shirts(MOTOR_CAR),
                                 headers=vietnam.as_("trader"))
    assert lodged.status_code == 201, lodged.text
    body = lodged.json()
    assert body["channel"] == "yellow"
    assert body["reasons"] is None, "the trader is not told why"
    seen = vietnam.client.get(f"/declarations/{body['number']}",
                              headers=vietnam.as_("officer")).json()
    doubts = [r for r in seen["reasons"] if "classification assistant" in r]
    assert doubts and doubts[0].startswith("goods item 1: ")
    assert "870323 very unlikely" in doubts[0] and "610910" in doubts[0]


def test_a_plausible_code_stays_green(vietnam: NodeClient) -> None:
    lodged = vietnam.client.post("/declarations", json=t_shirts("61091000"),
                                 headers=vietnam.as_("trader"))
    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["channel"] == "green"
    seen = vietnam.client.get(f"/declarations/{lodged.json()['number']}",
                              headers=vietnam.as_("officer")).json()
    assert not any("classification assistant" in r for r in seen["reasons"])


def test_the_setting_turns_the_doubts_off() -> None:
    assert Settings.from_env({}).classification_doubts
    assert not Settings.from_env({"SINGLEWINDOW_CLASSIFICATION_DOUBTS": "0"}).classification_doubts
    off = Settings(classification_doubts=False)
    assert not Settings.from_json(off.to_json()).classification_doubts


def test_a_node_asks_the_assistant_at_lodgement_unless_told_not_to(
        sqlite_database: Database, tmp_path: Path) -> None:
    from singlewindow.node import Node

    settings = Settings(country="VN", database_url=sqlite_database.url, home=tmp_path)
    on = Node.open(settings, with_sample=True)
    assert on.classifier.concern in on.clearance.concerns
    on.database.dispose()
    off = Node.open(replace(settings, classification_doubts=False), with_sample=True)
    assert off.classifier.concern not in off.clearance.concerns
    off.database.dispose()


def test_the_assistant_is_warmed_up_in_the_background(
        sqlite_database: Database, ranker: Assistant) -> None:
    counting = CountingRanker(ranker)
    asked: list[str] = []
    counting.rank = lambda texts, top=5, labels=None: asked.extend(texts) or []  # type: ignore[method-assign]
    thread = Classifier(sqlite_database, ranker=counting).warm_up()  # type: ignore[arg-type]
    thread.join(30)
    assert not thread.is_alive() and thread.daemon and asked == ["warm-up"]
