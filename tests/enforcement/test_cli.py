"""`singlewindow alerts …` against a real Viet Nam node served on a loopback port: an officer
raises the example alert, lists it, sees its hit after a matching lodgement, records and lists
a seizure, sets up a joint operation and reads its board; refusals are said in lines, never a
traceback; a trader is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from singlewindow.cli import app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet import sample
from singlewindow.node import Node
from tests.builders import TRADER, import_declaration
from tests.nodes import served

ALERT = Path(__file__).resolve().parents[2] / "examples" / "vn-alert.json"


@pytest.fixture
def viet_nam(sqlite_database: Database,
             tmp_path: Path) -> Iterator[tuple[str, sample.SampleUsers, Node]]:
    settings = Settings(country="VN", database_url=sqlite_database.url, home=tmp_path,
                        random_inspection_share=0.0)
    node = Node.open(settings, with_sample=True)
    with served(node) as url:
        yield url, sample.saved(tmp_path, "VN"), node


def run(node: str, token: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["alerts", *args],
                              env={"SINGLEWINDOW_NODE": node, "SINGLEWINDOW_TOKEN": token})


def said(result: Result) -> str:
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", result.output).split())


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return said(result)


def test_an_officer_raises_lists_and_follows_an_alert(
        viet_nam: tuple[str, sample.SampleUsers, Node]) -> None:
    url, users, node = viet_nam
    officer = users.officer
    assert "VN-ALERT-1 illicit_tobacco: Cigarettes declared as green coffee" in ok(
        run(url, officer, "raise", str(ALERT)))
    assert "VN-ALERT-1" in ok(run(url, officer, "list", "--raised"))
    assert "0 alerts" in ok(run(url, officer, "list", "--received"))
    lodged = node.clearance.lodge(import_declaration("CLI-ENF-1"), TRADER)
    shown = ok(run(url, officer, "show", "VN-ALERT-1"))
    assert "criterion: export_country eq KH" in shown
    assert "concealment: under the top layer of sacks" in shown
    assert f"hit: VN {lodged.number}" in shown
    assert lodged.number in ok(run(url, officer, "hits", "--alert", "VN-ALERT-1"))
    seized = ok(run(url, officer, "seize", "--goods", "Cigarettes", "--hs-code", "240220",
                    "--quantity", "50000", "--unit", "sticks", "--declaration", lodged.number,
                    "--alert", "VN-ALERT-1"))
    assert "VN-SEIZURE-1 Cigarettes (240220): 50000" in seized
    assert "VN-SEIZURE-1" in ok(run(url, officer, "seizures"))
    today = date.today()
    assert "OP-MEKONG-26 Mekong Dragon: VN" in ok(run(
        url, officer, "operation", "OP-MEKONG-26", "--name", "Mekong Dragon", "--members", "VN",
        "--starts-on", today.isoformat(), "--ends-on", (today + timedelta(days=9)).isoformat()))
    assert "OP-MEKONG-26" in ok(run(url, officer, "operations"))
    assert "0 alerts, 0 hits, 0 seizures" in ok(run(url, officer, "board", "OP-MEKONG-26"))
    assert "withdrawn" in ok(run(url, officer, "withdraw", "VN-ALERT-1", "--reason", "done"))


def test_refusals_are_said_in_lines(viet_nam: tuple[str, sample.SampleUsers, Node],
                                    tmp_path: Path) -> None:
    url, users, _ = viet_nam
    bad = tmp_path / "bad.json"
    bad.write_text(ALERT.read_text().replace('"export_country"', '"smell"'))
    refused = run(url, users.officer, "raise", str(bad))
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "criteria.1.field" in said(refused) and "'smell'" in said(refused)
    by_trader = run(url, users.trader, "list")
    assert by_trader.exit_code != 0 and "needs the role officer" in said(by_trader)
    assert "not a date" in said(run(url, users.officer, "operation", "OP-X", "--name", "x",
                                    "--members", "VN", "--starts-on", "soon",
                                    "--ends-on", "2027-01-01"))
