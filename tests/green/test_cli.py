"""`singlewindow green …` against a real Viet Nam node served on a loopback port: an officer
records and lists a consent and reads its uses, an administrator sets a rule, a declaration
file is checked; refusals are said in lines with every problem, never a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from singlewindow.cli import app
from singlewindow.core.clock import utcnow
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet import sample
from singlewindow.node import Node
from tests.builders import as_json
from tests.green.builders import waste_import
from tests.nodes import served


@pytest.fixture
def vietnam(sqlite_database: Database,
            tmp_path: Path) -> Iterator[tuple[str, sample.SampleUsers]]:
    settings = Settings(country="VN", database_url=sqlite_database.url, home=tmp_path,
                        random_inspection_share=0.0)
    node = Node.open(settings, with_sample=True)
    with served(node) as url:
        yield url, sample.saved(tmp_path, "VN")


def run(node: str, token: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["green", *args],
                              env={"SINGLEWINDOW_NODE": node, "SINGLEWINDOW_TOKEN": token})


def said(result: Result) -> str:
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", result.output).split())


def test_consents_and_rules_through_the_command(vietnam, tmp_path: Path) -> None:
    node, users = vietnam
    today = utcnow().date()
    added = run(node, users.officer, "consents", "add", "VN-2026-0042",
                "--exporter", "KHRECYCLE01", "--importer", "VNTRADER0001",
                "--basel-code", "Y48", "--hs-code", "391590", "--quantity", "10000",
                "--valid-from", (today - timedelta(days=1)).isoformat(),
                "--valid-to", (today + timedelta(days=30)).isoformat())
    assert added.exit_code == 0, added.output
    assert "consent VN-2026-0042 recorded: 10000.000 kg of Y48" in said(added)
    listed = run(node, users.officer, "consents", "list")
    assert listed.exit_code == 0 and "VN-2026-0042" in said(listed), listed.output
    shown = run(node, users.officer, "consents", "show", "VN-2026-0042")
    assert "0.000 of 10000.000 kg used" in said(shown), shown.output

    again = run(node, users.officer, "consents", "add", "VN-2026-0042",
                "--exporter", "KHRECYCLE01", "--importer", "VNTRADER0001",
                "--basel-code", "B3011", "--hs-code", "391590", "--quantity", "10",
                "--valid-from", "2026-01-01", "--valid-to", "2026-12-31")
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert "moves without prior informed consent" in said(again), again.output
    assert run(node, users.trader, "consents", "list").exit_code == 1

    rule = run(node, users.admin, "rules", "add", "y49-ban", "--kind", "ban",
               "--basel-code", "Y49", "--valid-from", today.isoformat())
    assert rule.exit_code == 0, rule.output
    rules = said(run(node, users.trader, "rules", "list"))
    assert "y49-ban" in rules and "sample-a3210-import-ban" in rules and "sample" in rules

    file = tmp_path / "waste.json"
    file.write_text(json.dumps(as_json(waste_import(basel_code=None, waste_consent=None))),
                    encoding="utf-8")
    checked = run(node, users.trader, "check", str(file))
    assert checked.exit_code == 1
    assert "item 1: HS 391590 is waste: a Basel code is needed" in said(checked)
