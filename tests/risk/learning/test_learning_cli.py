from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from singlewindow.risk.learning.cli import register

from .conftest import TRAIN_FILE, VALID_FILE


def _app() -> typer.Typer:
    app = typer.Typer()
    risk = typer.Typer()
    register(risk)
    app.add_typer(risk, name="risk")
    return app


def _slice(source, path, rows: int, skip: int = 0) -> None:
    lines = source.read_text().splitlines()
    path.write_text("\n".join([lines[0], *lines[1 + skip: 1 + skip + rows]]) + "\n")


@pytest.mark.skipif(not (TRAIN_FILE.exists() and VALID_FILE.exists()),
                    reason="the CIDD data set is not at ../shared/data/cidd")
def test_train_then_evaluate(tmp_path):
    first, second, later = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    _slice(TRAIN_FILE, first, 600)
    _slice(TRAIN_FILE, second, 600, skip=600)
    _slice(VALID_FILE, later, 500)
    model = tmp_path / "model.zip"
    runner = CliRunner()
    trained = runner.invoke(_app(), ["risk", "train", "--data", str(first), str(second),
                                     "--model", str(model)])
    assert trained.exit_code == 0, trained.output
    assert "1,200 declarations" in trained.output
    result = runner.invoke(_app(), ["risk", "evaluate", "--model", str(model), "--data",
                                    str(later), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert set(metrics) == {
        "precision_at_1", "precision_at_2", "precision_at_5", "precision_at_10",
        "recall_at_5", "recall_at_10", "critical_recall_at_10", "auc", "n",
    }
    assert metrics["n"] == 500
    assert 0.5 < metrics["auc"] <= 1.0
    table = runner.invoke(_app(), ["risk", "evaluate", "--model", str(model), "--data",
                                   str(later)])
    assert table.exit_code == 0, table.output
    assert "AUC" in table.output and "10 %" in table.output
