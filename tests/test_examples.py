"""The shipped examples lodge as their README says, through the command line."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.core.clock import today
from singlewindow.declarations.model import declaration_number

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def node_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SINGLEWINDOW_HOME", str(tmp_path))
    monkeypatch.delenv("SINGLEWINDOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("SINGLEWINDOW_RANDOM_SHARE", "0")
    return tmp_path


@pytest.mark.parametrize(
    ("example", "country", "expected"),
    [
        # Alone, the node cannot verify the e-Form D: a documentary check before the ATIGA rate.
        ("vn-import-coffee-from-kh.json", "VN", "channel yellow"),
        ("vn-import-beer-and-cigarettes-from-th.json", "VN", "channel red"),
        ("kh-export-rubber-to-vn.json", "KH", "is released"),
    ],
)
def test_an_example_lodges(node_home, example, country, expected):
    result = CliRunner().invoke(
        app, ["try", str(EXAMPLES / example), "--country", country, "--sample"]
    )
    assert result.exit_code == 0, result.output
    assert expected in " ".join(result.output.split())


def test_the_beer_and_cigarettes_pay_excise(node_home):
    result = CliRunner().invoke(
        app, ["try", str(EXAMPLES / "vn-import-beer-and-cigarettes-from-th.json")]
    )
    assert result.output.count("excise") >= 2


def test_the_invalid_example_is_refused_with_every_error(node_home):
    kept = ["--database", f"sqlite:///{node_home}/kept.db"]
    result = CliRunner().invoke(
        app, ["try", str(EXAMPLES / "invalid-vn-import.json"), *kept]
    )
    assert result.exit_code == 1
    for path in ("export_country", "invoice_currency", "proof_of_origin",
                 "items.0.commodity_code", "items.0.quantity", "items.0.gross_mass"):
        assert path in result.output, path
    again = CliRunner().invoke(
        app, ["try", str(EXAMPLES / "vn-import-coffee-from-kh.json"), *kept]
    )
    # The refused one left nothing behind: the kept database numbers this one first.
    assert again.exit_code == 0, again.output
    assert f"{declaration_number('VN', today(), 'VNHCM01', 1)} " in again.output
    assert json.loads((EXAMPLES / "invalid-vn-import.json").read_text())["lrn"]
