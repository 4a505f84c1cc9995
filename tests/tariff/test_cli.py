"""`singlewindow tariff import` and `search` on a node database in a temporary home."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.tariff import services
from singlewindow.tariff.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def node_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SINGLEWINDOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("SINGLEWINDOW_HOME", str(tmp_path))
    return tmp_path


def test_import_and_search_a_sample_schedule() -> None:
    sample = services.sample_schedule("KH")
    assert sample is not None
    imported = runner.invoke(app, ["import", str(sample), "--country", "KH"])
    assert imported.exit_code == 0, imported.output
    assert "250 lines in 28 chapters" in imported.output
    found = runner.invoke(app, ["search", "smartphones", "--country", "KH"])
    assert found.exit_code == 0, found.output
    assert "8517.13.00" in found.output


def test_a_bad_file_lists_every_error_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,description,unit,valid_from,mfn,vat\n"
        "0901.19.00,Coffee,kg,2022-01-01,5%,10%\n"
        "0901.11.00,Coffee,kg,2022-13-01,5%,10%\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(bad), "--country", "VN"])
    assert result.exit_code == 1
    assert "line.2.code" in result.output and "line.3.valid_from" in result.output
    assert "nothing was imported" in result.output


def test_import_measures_then_ask_what_applies() -> None:
    schedule, measures = services.sample_schedule("VN"), services.sample_measures("VN")
    assert schedule is not None and measures is not None
    assert runner.invoke(app, ["import", str(schedule), "--country", "VN"]).exit_code == 0
    imported = runner.invoke(app, ["import-measures", str(measures), "--country", "VN"])
    assert imported.exit_code == 0, imported.output
    assert "6 agreements" in imported.output
    found = runner.invoke(
        app,
        ["measures", "7208.25.00", "--country", "VN", "--origin", "CN", "--on", "2025-06-01",
         "--additional-code", "C001"],
        env={"COLUMNS": "200"},
    )
    assert found.exit_code == 0, found.output
    assert "VN-AD-720825-C001" in found.output and "anti-dumping duty" in found.output
    assert "VN-72082500-2022-01-01-mfn" in found.output


def test_a_bad_measure_file_lists_every_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"measures": [{"id": "M1", "type": "prohibition", "goods_code": "36.04", '
        '"area": "1011", "valid_from": "2022-13-01", "colour": "red"}]}',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import-measures", str(bad), "--country", "VN"])
    assert result.exit_code == 1
    assert "measures.0.valid_from" in result.output and "measures.0.colour" in result.output
    assert "nothing was imported" in result.output


def test_a_measures_question_about_an_unknown_code_fails_plainly() -> None:
    result = runner.invoke(app, ["measures", "0999", "--country", "VN", "--origin", "CN"])
    assert result.exit_code == 1
    assert "no tariff line" in result.output
    bad_day = runner.invoke(
        app, ["measures", "0901", "--country", "VN", "--origin", "CN", "--on", "tomorrow"]
    )
    assert bad_day.exit_code == 1 and "--on" in bad_day.output
