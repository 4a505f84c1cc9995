"""`singlewindow transit …` against a real Lao node served on a loopback port: the holder
lodges from a file and follows its movement and guarantee; refusals are said in lines, with
every problem at its place, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from singlewindow.cli import app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet import sample
from singlewindow.node import Node
from tests.nodes import served


@pytest.fixture
def laos(sqlite_database: Database, tmp_path: Path) -> Iterator[tuple[str, sample.SampleUsers]]:
    settings = Settings(country="LA", database_url=sqlite_database.url, home=tmp_path,
                        random_inspection_share=0.0)
    node = Node.open(settings, with_sample=True)
    with served(node) as url:
        yield url, sample.saved(tmp_path, "LA")


def run(node: str, token: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["transit", *args],
                              env={"SINGLEWINDOW_NODE": node, "SINGLEWINDOW_TOKEN": token})


def declaration(users: sample.SampleUsers, **changes: Any) -> dict[str, Any]:
    return {
        "lrn": "LA-CLI-1", "holder": users.trader_party, "guarantee": users.transit_guarantee,
        "access_code": users.access_code, "departure_office": "LAVTE01",
        "transit_offices": ["THNKI01", "MYBKH01"], "destination_office": "SGWDL01",
        "routing": ["LA", "TH", "MY", "SG"], "transport": "LA 70-1234",
        "equipment": [{"number": "MSKU9070323", "seals": ["LA-1"]}],
        "items": [{"commodity_code": "09011100", "description": "Green coffee beans",
                   "packages": 100, "gross_mass": "6240", "net_mass": "6000",
                   "value": "300000000"}],
        "time_limit": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    } | changes


def test_the_holder_lodges_follows_and_reads_its_guarantee(
        laos: tuple[str, sample.SampleUsers], tmp_path: Path) -> None:
    node, users = laos
    file = tmp_path / "movement.json"
    file.write_text(json.dumps(declaration(users)))
    lodged = run(node, users.trader, "lodge", str(file))
    assert lodged.exit_code == 0, lodged.output
    assert ": released" in lodged.output and "LAVTE01 → THNKI01 → MYBKH01 → SGWDL01" in (
        " ".join(lodged.output.split()))
    number = lodged.output.split()[0]
    assert "selectivity" not in lodged.output  # never shown to the holder
    shown = run(node, users.trader, "show", number)
    assert shown.exit_code == 0 and "lodged" in shown.output, shown.output
    officer = run(node, users.officer, "show", number)
    assert "selectivity: green" in officer.output
    balance = run(node, users.trader, "guarantee", users.transit_guarantee)
    assert balance.exit_code == 0 and "reserved" in balance.output and "valid" in balance.output
    listed = run(node, users.trader, "list")
    assert "1 movements" in listed.output and number in listed.output


def test_the_example_lodges_with_the_access_code_given_apart(
        laos: tuple[str, sample.SampleUsers]) -> None:
    node, users = laos
    example = Path(__file__).resolve().parents[2] / "examples" / "la-transit-coffee-to-sg.json"
    lodged = run(node, users.trader, "lodge", str(example), "--access-code", users.access_code)
    assert lodged.exit_code == 0, lodged.output
    said = " ".join(lodged.output.split())
    assert ": released" in said and "LATGR0001" in said, said
    # The file names no time limit: the office of departure gave eight days.
    eight_days = (datetime.now(UTC) + timedelta(days=8)).strftime("%Y-%m-%d")
    assert f"time limit {eight_days}" in said, said


def test_refusals_are_said_with_each_problem_and_no_traceback(
        laos: tuple[str, sample.SampleUsers], tmp_path: Path) -> None:
    node, users = laos
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(declaration(users, routing=["LA", "SG"],
                                           destination_office="SGXXX99")))
    bad = run(node, users.trader, "lodge", str(file))
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    said = " ".join(bad.output.split())
    assert "422" in said and "transit:" in said and "destination:" in said, said
    assert run(node, users.trader, "expected").exit_code == 1  # a trader: 403
    assert "403" in run(node, users.trader, "expected").output
    assert "401" in run(node, "not-a-token", "list").output
    file.write_text("{not json")
    assert "invalid JSON at line 1" in run(node, users.trader, "lodge", str(file)).output
    assert "cannot reach" in run("http://127.0.0.1:9", users.trader, "list").output
