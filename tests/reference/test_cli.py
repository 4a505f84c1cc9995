"""`singlewindow reference …` on a node database in a temporary home."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.core.config import Settings
from singlewindow.node import open_database
from singlewindow.reference import services
from singlewindow.reference.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def node_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SINGLEWINDOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("SINGLEWINDOW_HOME", str(tmp_path))
    database = open_database(Settings.from_env(country="LA"))
    services.ensure_sample_reference(database, "LA")
    database.dispose()
    return tmp_path


def test_the_register_is_listed_and_marked_as_sample() -> None:
    result = runner.invoke(app, ["offices", "--country", "LA", "--procedure", "transit"])
    assert result.exit_code == 0, result.output
    assert "LAVTE01" in result.output and "LAVTE02" not in result.output
    assert "SAMPLE" in result.output


def test_a_rate_table_is_imported_and_shown(tmp_path: Path) -> None:
    file = tmp_path / "march.csv"
    file.write_text(
        "currency,rate,valid_from,valid_to\nTHB,606.5,2026-03-01,2026-03-31\n", encoding="utf-8"
    )
    imported = runner.invoke(app, ["rates", "import", str(file), "-c", "LA"])
    assert imported.exit_code == 0, imported.output
    assert "1 rate(s) (1 new, 0 already published, 1 sample rates replaced)" in imported.output
    shown = runner.invoke(app, ["rates", "show", "thb", "-c", "LA", "--on", "2026-03-15"])
    assert shown.exit_code == 0, shown.output
    assert "THB on 2026-03-15: 606.5 LAK per THB" in shown.output
    assert "SAMPLE" not in shown.output
    usd = runner.invoke(app, ["rates", "show", "USD", "-c", "LA", "--on", "2026-03-15"])
    assert "21500 LAK per USD (SAMPLE)" in usd.output


def test_a_refused_load_says_why_and_exits_non_zero(tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(
        "currency,rate,valid_from,valid_to\n"
        "THB,606.5,2026-03-01,2026-03-31\n"
        "THB,1,2026-03-31,2026-04-30\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rates", "import", str(file), "-c", "LA"])
    assert result.exit_code == 1
    assert "line.3.valid_from" in result.output and "nothing was loaded" in result.output
    missing = runner.invoke(app, ["rates", "show", "GBP", "-c", "LA"])
    assert missing.exit_code == 1 and "no GBP rate" in missing.output
    bad_day = runner.invoke(app, ["rates", "show", "USD", "-c", "LA", "--on", "2026-02-30"])
    assert bad_day.exit_code == 2 and "not a date" in bad_day.output
