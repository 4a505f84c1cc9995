"""`singlewindow classify`: one description as a table or JSON; a JSON-lines file in batch,
each line kept with `codes` and `confidences` added, a malformed line reported with its line
number and written with its `error`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.classification.assistant import Assistant
from singlewindow.cli import app

runner = CliRunner()


def test_one_description_as_json(ranker: Assistant) -> None:
    result = runner.invoke(app, ["classify", "Men's cotton crew neck T-shirt", "--top", "3",
                                 "--json"])
    assert result.exit_code == 0, result.output
    suggestions = json.loads(result.stdout)
    assert [s["code"] for s in suggestions][0] == "610910"
    assert len(suggestions) == 3


def test_one_description_as_a_table(ranker: Assistant) -> None:
    result = runner.invoke(app, ["classify", "Roasted coffee beans 1kg arabica"])
    assert result.exit_code == 0, result.output
    assert "0901.21" in result.stdout


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_description_is_refused(ranker: Assistant, empty: str) -> None:
    result = runner.invoke(app, ["classify", empty])
    assert result.exit_code == 1
    assert "the goods description is empty" in result.stderr
    assert result.stdout == ""


def test_in_batch_an_empty_description_is_a_line_with_the_reason(
        ranker: Assistant, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": " ", "sku": "E1"}) + "\n"
                      + json.dumps({"text": "Roasted coffee beans 1kg arabica"}) + "\n",
                      encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["classify", "--file", str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "line 1" in result.stderr and "the goods description is empty" in result.stderr
    empty, coffee = [json.loads(line) for line in target.read_text().splitlines()]
    assert empty["sku"] == "E1" and "codes" not in empty
    assert "the goods description is empty" in empty["error"]
    assert coffee["codes"][0][:4] == "0901"


def test_a_file_in_batch_with_a_malformed_line(ranker: Assistant, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"text": "Men's cotton crew neck T-shirt", "sku": "A1"}),
        '{"text": "broken',
        json.dumps({"sku": "C3"}),
        json.dumps({"text": "Red wine Cabernet Sauvignon 750ml bottle"}),
    ]) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["classify", "--file", str(source), "--out", str(target),
                                 "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "line 2" in result.stderr and "not JSON" in result.stderr
    assert "line 3" in result.stderr
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    assert lines[0]["sku"] == "A1" and lines[0]["codes"][0] == "610910"
    assert len(lines[0]["codes"]) == 5 == len(lines[0]["confidences"])
    assert lines[1] == {"line": 2, "error": lines[1]["error"]}
    assert lines[2]["sku"] == "C3" and "text" in lines[2]["error"]
    assert "220421" in lines[3]["codes"]


def test_a_file_needs_somewhere_to_write(tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", "--file", str(tmp_path / "in.jsonl")])
    assert result.exit_code == 2
