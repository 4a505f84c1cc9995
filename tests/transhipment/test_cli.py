"""`singlewindow hubs …` against a real Malaysian node served on a loopback port: officers
list the laundering hubs and read a consignment's legs, an administrator lists and ends a
hub; refusals are said in lines, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from singlewindow.cli import app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.paths import api_url
from singlewindow.devnet import sample
from singlewindow.node import Node
from tests.nodes import served
from tests.transhipment.builders import arrival_body, departure_body


@pytest.fixture
def malaysia(sqlite_database: Database,
             tmp_path: Path) -> Iterator[tuple[str, sample.SampleUsers]]:
    settings = Settings(country="MY", database_url=sqlite_database.url, home=tmp_path,
                        random_inspection_share=0.0)
    node = Node.open(settings, with_sample=True)
    with served(node) as url:
        yield url, sample.saved(tmp_path, "MY")


def run(node: str, token: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["hubs", *args],
                              env={"SINGLEWINDOW_NODE": node, "SINGLEWINDOW_TOKEN": token,
                                   "COLUMNS": "200"})


def said(result: Result) -> str:
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", result.output).split())


def test_the_hubs_are_listed_added_and_ended(malaysia: tuple[str, sample.SampleUsers]) -> None:
    url, users = malaysia
    listed = run(url, users.officer, "list")
    assert listed.exit_code == 0, listed.output
    assert "MYPKG" in said(listed) and "(sample)" in said(listed)
    refused = run(url, users.officer, "add", "SGSIN", "8507", "--from", "2026-06-01")
    assert refused.exit_code == 1 and "403" in said(refused)
    bad = run(url, users.admin, "add", "SGSIN", "850", "--from", "2026-06-01")
    assert bad.exit_code == 1 and "hs_prefix" in said(bad) and "Traceback" not in bad.output
    added = run(url, users.admin, "add", "sgsin", "8507", "--from", "2026-06-01",
                "--note", "lithium-ion cells")
    assert added.exit_code == 0, added.output
    listing = re.search(r"\(id (\d+)\)", added.output)
    assert listing, added.output
    ended = run(url, users.admin, "end", listing.group(1), "--until", "2026-12-31")
    assert ended.exit_code == 0 and "listed until 2026-12-31" in said(ended)


def test_a_consignment_s_legs(malaysia: tuple[str, sample.SampleUsers]) -> None:
    url, users = malaysia
    headers = {"Authorization": f"Bearer {users.officer}"}
    for path, body in (("/transhipment/arrivals", arrival_body()),
                       ("/transhipment/departures", departure_body())):
        assert httpx.post(f"{api_url(url)}{path}", json=body,
                          headers=headers).status_code == 201
    shown = run(url, users.officer, "legs", "msku7788990011")
    assert shown.exit_code == 0, shown.output
    text = said(shown)
    assert "CNSHA MYPKG COSU6300012345" in text and "MYPKG VNSGN MSKU7788990011" in text
    assert text.count("(CN)") == 2
    missing = run(url, users.officer, "legs", "NOSUCH0001")
    assert missing.exit_code == 1 and "404" in said(missing)
