"""The ranker on clear product titles: the right subheading among the five, confidences in
order and within 0..1, the glossary bridging sellers' words and the nomenclature's."""

from __future__ import annotations

import numpy as np
import pytest

from singlewindow.classification.assistant import (
    Assistant,
    Glossary,
    Label,
    LearntLabels,
    softmax_of,
)
from singlewindow.classification.model import softmax

CLEAR = [
    ("Men's cotton crew neck T-shirt", "610910"),
    ("Unlocked 5G smartphone 128GB dual SIM", "851713"),
    ("Roasted coffee beans 1kg arabica", "090121"),
    ("Red wine Cabernet Sauvignon 750ml bottle", "220421"),
    ("Women's leather handbag shoulder bag", "420221"),
]


@pytest.mark.parametrize(("title", "code"), CLEAR)
def test_a_clear_title_lands_in_the_top_five(ranker: Assistant, title: str, code: str) -> None:
    [ranked] = ranker.rank([title], 5)
    assert code in [r.code for r in ranked]


def test_confidences_are_ordered_and_within_zero_and_one(ranker: Assistant) -> None:
    for ranked in ranker.rank([title for title, _ in CLEAR], 5):
        confidences = [r.confidence for r in ranked]
        assert len(ranked) == 5
        assert confidences == sorted(confidences, reverse=True)
        assert all(0 <= c <= 1 for c in confidences)
        assert sum(confidences) <= 1 + 1e-9


def test_a_batch_ranks_as_one_by_one(ranker: Assistant) -> None:
    titles = [title for title, _ in CLEAR]
    together = [[r.code for r in ranked] for ranked in ranker.rank(titles, 3)]
    alone = [[r.code for r in ranker.rank([t], 3)[0]] for t in titles]
    assert together == alone


def test_the_glossary_says_a_title_in_the_nomenclature_s_words() -> None:
    glossary = Glossary({"toothbrush": "toothbrushes", "electric toothbrush": "appliances"})
    assert glossary.expand("Electric toothbrushes x2") == "Electric toothbrushes x2 (appliances)"
    assert glossary.expand("Soft toothbrush") == "Soft toothbrush (toothbrushes)"
    assert glossary.expand("Hairbrush") == "Hairbrush"


def test_an_officer_s_label_puts_its_code_first_for_the_same_description(
        ranker: Assistant) -> None:
    title = "Handmade rattan basket with lid"
    [before] = ranker.rank([title], 5)
    wrong = next(code for code in ("460211", "460212") if code != before[0].code)
    labels = LearntLabels()
    labels.add(Label(title, wrong))
    [after] = ranker.rank([title.upper() + "!"], 5, labels)
    assert after[0].code == wrong and after[0].learnt
    # A near description (most of its words) is helped too, less strongly.
    [near] = ranker.rank(["Handmade rattan basket"], 5, labels)
    assert wrong in [r.code for r in near]


def test_the_ranker_s_softmax_is_the_model_s() -> None:
    scores = [2.0, 1.5, 0.2, -1.0]
    assert np.allclose(softmax_of(np.array(scores), 0.2), softmax(scores, 0.2))


def test_the_labels_held_are_the_newest_of_each_description() -> None:
    labels = LearntLabels(most_per_description=10)
    for _ in range(10):
        labels.add(Label("Bamboo fibre baby bowl", "392410", confirmed=False))
    for _ in range(10):  # an officer since corrected it, ten times over
        labels.add(Label("bamboo fibre baby bowl", "441911", confirmed=False))
    assert len(labels) == 10
    assert labels.exact("Baby bowl, bamboo fibre") == {"441911": 10}
    assert labels.counts() == {"441911": 10}


def test_the_labels_held_are_bounded_in_all_the_oldest_let_go(ranker: Assistant) -> None:
    labels = LearntLabels(most=3)
    titles = [f"{kind} garden chair" for kind in ("rattan", "teak", "bamboo", "steel", "plastic")]
    for title in titles:
        labels.add(Label(title, "940179"))
    assert [label.description for label in labels.labels] == titles[2:]
    assert labels.exact("rattan garden chair") == {}
    assert labels.exact("plastic garden chair") == {"940179": 5}
    assert labels.counts() == {"940179": 3}
    near = labels.near(["rattan", "garden", "chair"], ranker.stemmer)
    assert near == {"940179": 0.5}, "only the kept labels are near (2 of 4 words)"
    for _ in range(1000):  # however many arrive, no more are held
        labels.add(Label("teak garden chair", "940161"))
    assert len(labels) == 3 and labels.counts() == {"940161": 3}
    assert labels.exact("teak garden chair") == {"940161": 15}


def test_an_officer_s_correction_overrules_earlier_labels(ranker: Assistant) -> None:
    labels = LearntLabels()
    title = "Bamboo fibre baby bowl set with spoon"
    for _ in range(8):  # released eight times under plastic tableware
        labels.add(Label(title, "392410", confirmed=False))
    labels.add(Label(title, "441911"))  # an officer corrects it: wooden tableware
    assert labels.exact(title) == {"441911": 5}
    [ranked] = ranker.rank([title], 3, labels)
    assert ranked[0].code == "441911" and ranked[0].learnt
    labels.add(Label(title, "441911", confirmed=False))  # later releases add to it
    assert labels.exact(title) == {"441911": 6}
