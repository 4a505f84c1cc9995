"""`singlewindow aeo …` against a real Thai node served on a loopback port: the operator
applies from the example file, officers validate, grant and keep the register, an
administrator records the ASEAN arrangement from its example; refusals are said in lines,
with every problem at its place, never a traceback."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from singlewindow.cli import app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.revisions import CHECK_SECONDS
from singlewindow.devnet import sample
from singlewindow.node import Node
from tests.nodes import served

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPLICATION = EXAMPLES / "th-aeo-application.json"
OPERATOR = "THTRADER0001"


@pytest.fixture
def thailand(sqlite_database: Database,
             tmp_path: Path) -> Iterator[tuple[str, sample.SampleUsers]]:
    settings = Settings(country="TH", database_url=sqlite_database.url, home=tmp_path,
                        random_inspection_share=0.0)
    node = Node.open(settings, with_sample=True)
    with served(node) as url:
        yield url, sample.saved(tmp_path, "TH")


def run(node: str, token: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["aeo", *args],
                              env={"SINGLEWINDOW_NODE": node, "SINGLEWINDOW_TOKEN": token})


def said(result: Result) -> str:
    """The output in one line, without the tables' borders."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", result.output).split())


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return said(result)


def check(node: str, token: str, expected: str) -> str:
    """`aeo check`, waiting for the register of benefits to see the last change (it looks
    again every `core.revisions.CHECK_SECONDS`)."""
    deadline = time.monotonic() + 5 * CHECK_SECONDS + 2
    while True:
        answer = ok(run(node, token, "check", OPERATOR, "--role", "exporter"))
        if f": {expected}" in answer or time.monotonic() > deadline:
            return answer
        time.sleep(CHECK_SECONDS / 5)


def test_the_example_is_applied_validated_granted_and_kept_in_the_register(
        thailand: tuple[str, sample.SampleUsers]) -> None:
    node, users = thailand
    applied = ok(run(node, users.trader, "apply", str(APPLICATION)))
    number = applied.split()[0]
    assert number.startswith("THAEO") and ": submitted" in applied, applied
    assert number in ok(run(node, users.trader, "applications"))
    assert "1 applications" in ok(run(node, users.officer, "applications",
                                      "--status", "submitted"))

    assert ": validating" in ok(run(node, users.officer, "validate", number))
    for criterion in ("compliance_record", "records_management", "financial_solvency",
                      "safety_security"):
        ok(run(node, users.officer, "finding", number, criterion, "--met",
               "--note", f"{criterion} seen in the books"))
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    visited = ok(run(node, users.officer, "visit", number, "Lat Krabang warehouse",
                     "--on", yesterday, "--note", "Seals and CCTV checked"))
    assert f"visited Lat Krabang warehouse on {yesterday}" in visited, visited
    assert "before a grant" not in visited
    granted = ok(run(node, users.officer, "grant", number, "--reason", "All criteria met"))
    assert ": granted" in granted and "granted by officer: All criteria met" in granted
    shown = ok(run(node, users.trader, "show", number))
    assert "self-assessment, safety_security" in shown and "compliance_record: met" in shown

    register = ok(run(node, users.officer, "register", "--status", "granted"))
    assert "1 operators" in register and OPERATOR in register, register
    assert "recognised under the AEO programme of TH" in check(node, users.officer,
                                                               "recognised")

    assert ": suspended" in ok(run(node, users.officer, "suspend", OPERATOR,
                                   "--reason", "Duty arrears"))
    assert "not recognised" in check(node, users.officer, "not recognised")
    ok(run(node, users.officer, "reinstate", OPERATOR, "--reason", "Arrears paid"))
    revoked = ok(run(node, users.officer, "revoke", OPERATOR, "--reason", "Smuggling"))
    assert ": revoked" in revoked
    for line in ("granted granted officer All criteria met",
                 "suspended suspended officer Duty arrears",
                 "reinstated granted officer Arrears paid",
                 "revoked revoked officer Smuggling"):
        assert line in revoked, (line, revoked)
    again = run(node, users.officer, "revoke", OPERATOR, "--reason", "Twice")
    assert again.exit_code == 1 and "409" in said(again) and "Traceback" not in again.output
    assert "version 4" in ok(run(node, users.trader, "operator", OPERATOR))


def test_consent_the_arrangement_and_partners(
        thailand: tuple[str, sample.SampleUsers], tmp_path: Path) -> None:
    node, users = thailand
    number = ok(run(node, users.trader, "apply", str(APPLICATION))).split()[0]
    ok(run(node, users.officer, "validate", number))
    for criterion in ("compliance_record", "records_management", "financial_solvency",
                      "safety_security"):
        ok(run(node, users.officer, "finding", number, criterion, "--note", "seen"))
    ok(run(node, users.officer, "visit", number, "Head office", "--note", "seen"))
    ok(run(node, users.officer, "grant", number, "--reason", "Met"))

    withdrawn = ok(run(node, users.trader, "consent", OPERATOR, "--withdraw"))
    assert "consent to share not given" in withdrawn and "consent_withdrawn" in withdrawn
    assert "403" in said(run(node, users.officer, "consent", OPERATOR, "--give"))
    assert "consent to share given" in ok(run(node, users.trader, "consent", OPERATOR,
                                              "--give"))

    mra = EXAMPLES / "asean-aeo-mra.json"
    assert "403" in said(run(node, users.officer, "mra", str(mra)))
    recorded = ok(run(node, users.admin, "mra", str(mra)))
    assert "ASEAN-AEO-MRA recorded" in recorded and "LA, MY, SG, TH, VN" in recorded
    assert "ASEAN-AEO-MRA" in ok(run(node, users.officer, "arrangements"))
    partners = ok(run(node, users.officer, "partners"))
    assert all(country in partners for country in ("LA", "MY", "SG", "VN")), partners
    assert "0 operators of VN" in ok(run(node, users.officer, "partner", "VN"))
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(json.loads(mra.read_text()) | {"partners": ["VN", "LA"]}))
    refused = run(node, users.admin, "mra", str(elsewhere))
    assert refused.exit_code == 1 and "422" in said(refused) and "partners" in said(refused)


def test_refusals_are_said_with_each_problem_and_no_traceback(
        thailand: tuple[str, sample.SampleUsers], tmp_path: Path) -> None:
    node, users = thailand
    document = json.loads(APPLICATION.read_text())
    del document["self_assessment"]["safety_security"]
    file = tmp_path / "incomplete.json"
    file.write_text(json.dumps(document))
    bad = run(node, users.trader, "apply", str(file))
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "422" in said(bad) and "self_assessment.safety_security" in said(bad), said(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(json.loads(APPLICATION.read_text()) |
                                {"operator": "THTRADER0002"}))
    assert "403" in said(run(node, users.trader, "apply", str(other)))
    assert "403" in said(run(node, users.trader, "suspend", OPERATOR, "--reason", "me"))
    assert "403" in said(run(node, users.trader, "register"))
    assert "404" in said(run(node, users.officer, "show", "THAEO2026999999"))
    assert "422" in said(run(node, users.officer, "operator", "th-1"))
    wrong = run(node, users.officer, "finding", "THAEO2026000001", "honesty", "--note", "x")
    assert wrong.exit_code == 2 and "honesty" in wrong.output  # not a criterion
    assert "401" in said(run(node, "not-a-token", "applications"))
    file.write_text("{not json")
    assert "invalid JSON at line 1" in said(run(node, users.trader, "apply", str(file)))
    assert "cannot reach" in said(run("http://127.0.0.1:9", users.trader, "applications"))
