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
    assert "246 lines in 28 chapters" in imported.output
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
