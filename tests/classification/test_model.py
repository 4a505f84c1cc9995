"""The assistant's rules: what description it ranks, what it refuses and why, the codes a
label may carry, how labels are matched, and confidences from fused scores."""

from __future__ import annotations

import pytest

from singlewindow.classification.errors import DescriptionRefused, InvalidLabel
from singlewindow.classification.model import (
    MOST_CHARACTERS,
    check_description,
    check_top,
    normalised,
    softmax,
    subheading_of,
)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
def test_an_empty_description_is_refused_saying_why(blank: str) -> None:
    with pytest.raises(DescriptionRefused) as refused:
        check_description(blank)
    assert refused.value.problems[0].path == "text"
    assert "empty" in refused.value.detail
    assert "write what the goods are" in refused.value.detail


def test_a_description_is_trimmed_and_kept_to_its_limit() -> None:
    assert check_description("  Men's  cotton\tT-shirt ") == "Men's cotton T-shirt"
    assert check_description("x" * MOST_CHARACTERS) == "x" * MOST_CHARACTERS
    with pytest.raises(DescriptionRefused, match=f"at most {MOST_CHARACTERS}"):
        check_description("x" * (MOST_CHARACTERS + 1))


def test_between_one_and_twenty_suggestions() -> None:
    assert check_top(1) == 1 and check_top(20) == 20
    for wrong in (0, 21):
        with pytest.raises(DescriptionRefused):
            check_top(wrong)


def test_a_label_carries_a_subheading_or_a_national_line() -> None:
    assert subheading_of("6109.10") == "610910"
    assert subheading_of("61091000") == "610910"
    for wrong in ("6109", "61O910", ""):
        with pytest.raises(InvalidLabel):
            subheading_of(wrong)


def test_labels_match_whatever_the_case_accents_punctuation_and_word_order() -> None:
    assert normalised("Café crème, 1kg!") == normalised("1KG creme cafe")
    assert normalised("cotton T-shirt") != normalised("cotton shirt")


def test_confidences_are_in_order_and_sum_to_one() -> None:
    confidences = softmax([2.0, 1.5, 0.2, -1.0], temperature=0.5)
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1) < 1e-9
    assert all(0 < c < 1 for c in confidences)
