from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from singlewindow.risk.learning.estimator import InvalidModel, RiskModel

FAST = {"rounds": 60, "parameters": {"num_threads": 1}}


@pytest.fixture(scope="module")
def model(cidd_slice) -> RiskModel:
    return RiskModel.train(cidd_slice, **FAST)


def test_a_model_file_scores_as_the_model_did(model, later_slice, tmp_path):
    path = tmp_path / "model.zip"
    model.save(path)
    again = RiskModel.load(path)
    np.testing.assert_array_equal(model.score_batch(later_slice), again.score_batch(later_slice))
    assert again.summary == model.summary


def test_one_declaration_scores_as_in_a_batch(model, later_slice):
    batch = model.score_batch(later_slice[:20])
    single = [model.score(r) for r in later_slice[:20]]
    np.testing.assert_allclose(batch, single, rtol=1e-9)
    assert all(0.0 <= s <= 1.0 for s in single)


def test_training_is_reproducible(cidd_slice, model, later_slice):
    again = RiskModel.train(cidd_slice, **FAST)
    np.testing.assert_array_equal(model.score_batch(later_slice), again.score_batch(later_slice))


def test_retraining_on_new_results_changes_the_model(cidd_slice, model, later_slice):
    retrained = RiskModel.train([*cidd_slice, *later_slice[:400]], **FAST)
    assert retrained.summary.data_to > model.summary.data_to
    assert retrained.booster.model_to_string() != model.booster.model_to_string()
    unseen = later_slice[400:]
    assert not np.allclose(retrained.score_batch(unseen), model.score_batch(unseen))


def test_new_results_move_scores_before_retraining(cidd_slice, later_slice):
    model = RiskModel.train(cidd_slice, **FAST)
    declaration = dataclasses.replace(later_slice[0], fraud=None, critical=None)
    before = model.score(declaration)
    earlier = declaration.date - timedelta(days=1)
    frauds = [
        dataclasses.replace(declaration, declaration_id=f"F{i}", date=earlier, fraud=True,
                            critical=False)
        for i in range(5)
    ]
    model.observe(frauds)
    assert model.score(declaration) > before


def test_a_selection_says_why_in_words(model, later_slice):
    scores = model.score_batch(later_slice)
    riskiest = later_slice[int(np.argmax(scores))]
    assessment = model.assess(riskiest, top=3)
    assert assessment.score == pytest.approx(model.score(riskiest), rel=1e-9)
    assert 1 <= len(assessment.reasons) <= 3
    assert all(r.contribution > 0 for r in assessment.reasons)
    contributions = [r.contribution for r in assessment.reasons]
    assert contributions == sorted(contributions, reverse=True)
    assert all(r.text and "{" not in r.text for r in assessment.reasons)
    texts = " ".join(r.text for r in model.explain(riskiest, top=20))
    assert "past inspections found fraud" in texts or "never inspected" in texts


def test_training_needs_both_outcomes(cidd_slice):
    clean = [dataclasses.replace(r, fraud=False) for r in cidd_slice[:50]]
    with pytest.raises(InvalidModel):
        RiskModel.train(clean)


def test_a_file_that_is_not_a_model_is_refused():
    with pytest.raises(InvalidModel):
        RiskModel.from_bytes(b"not a zip")
