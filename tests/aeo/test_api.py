"""The AEO API of Thailand's node (its sample users): the operator applies, officers validate
and grant, keep the register, an administrator records the ASEAN arrangement, officers ask
what a recognition brings; what a dishonest trader or a careless officer tries is refused
with its reason and changes nothing."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from singlewindow.core.db import Database
from singlewindow.core.revisions import CHECK_SECONDS
from tests.nodes import NodeClient, open_node

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPLICATIONS = "/aeo/applications"
OPERATOR = "THTRADER0001"
CRITERIA = ("compliance_record", "records_management", "financial_solvency",
            "safety_security")


@pytest.fixture
def thailand(database: Database, tmp_path: Path) -> Iterator[NodeClient]:
    opened = open_node(database, tmp_path, "TH")
    yield opened
    opened.opened.database.dispose()


def application(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (EXAMPLES / "th-aeo-application.json").read_text(encoding="utf-8"))
    return document | changes


def arrangement(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (EXAMPLES / "asean-aeo-mra.json").read_text(encoding="utf-8"))
    return document | changes


def yesterday() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def apply(node: NodeClient, who: str = "trader", **changes: Any) -> Any:
    return node.client.post(APPLICATIONS, json=application(**changes), headers=node.as_(who))


def validating(node: NodeClient) -> str:
    """An application lodged by the sample trader and under validation: its number."""
    answer = apply(node)
    assert answer.status_code == 201, answer.text
    number: str = answer.json()["number"]
    started = node.client.post(f"{APPLICATIONS}/{number}/validation", headers=node.as_("officer"))
    assert started.status_code == 200, started.text
    return number


def audit(node: NodeClient, number: str, not_met: str | None = None) -> Any:
    """Findings on the four criteria (one not met if told) and a visit of the head office."""
    for criterion in CRITERIA:
        found = node.client.post(f"{APPLICATIONS}/{number}/findings", headers=node.as_("officer"),
                                 json={"criterion": criterion, "met": criterion != not_met,
                                       "note": f"{criterion} checked on the books"})
        assert found.status_code == 200, found.text
    visited = node.client.post(f"{APPLICATIONS}/{number}/visits", headers=node.as_("officer"),
                               json={"site": "Head office", "on": yesterday(),
                                     "note": "Gate, CCTV and seal register seen"})
    assert visited.status_code == 200, visited.text
    return visited.json()


def granted(node: NodeClient) -> str:
    number = validating(node)
    audit(node, number)
    decided = node.client.post(f"{APPLICATIONS}/{number}/decision", headers=node.as_("officer"),
                               json={"grant": True, "reason": "Every criterion met"})
    assert decided.status_code == 200, decided.text
    return number


def change(node: NodeClient, what: str, reason: str, who: str = "officer") -> Any:
    return node.client.post(f"/aeo/operators/{OPERATOR}/status", headers=node.as_(who),
                            json={"change": what, "reason": reason})


def recognition(node: NodeClient, role: str = "exporter",
                recognised: bool | None = None) -> Any:
    """The recognition answer; told what to expect, it waits for the register of benefits to
    see the last change (it looks again every `core.revisions.CHECK_SECONDS`)."""
    deadline = time.monotonic() + 5 * CHECK_SECONDS + 2
    while True:
        answer = node.client.get(f"/aeo/recognition/{OPERATOR}?role={role}",
                                 headers=node.as_("officer"))
        assert answer.status_code == 200, answer.text
        found = answer.json()
        if recognised is None or found["recognised"] is recognised or (
                time.monotonic() > deadline):
            return found
        time.sleep(CHECK_SECONDS / 5)


def test_an_operator_is_validated_granted_suspended_reinstated_and_revoked(
        thailand: NodeClient) -> None:
    lodged = apply(thailand)
    assert lodged.status_code == 201, lodged.text
    number = lodged.json()["number"]
    assert re.fullmatch(r"THAEO[0-9]{10}", number)
    assert lodged.json()["status"] == "submitted" and lodged.json()["consent_to_share"]
    mine = thailand.client.get(APPLICATIONS, headers=thailand.as_("trader")).json()
    assert [a["number"] for a in mine] == [number]

    started = thailand.client.post(f"{APPLICATIONS}/{number}/validation",
                                   headers=thailand.as_("officer")).json()
    assert started["status"] == "validating" and len(started["missing_for_grant"]) == 5
    audited = audit(thailand, number)
    assert set(audited["findings"]) == set(CRITERIA) and audited["missing_for_grant"] == []
    assert audited["visits"][0]["site"] == "Head office"
    decided = thailand.client.post(f"{APPLICATIONS}/{number}/decision",
                                   headers=thailand.as_("officer"),
                                   json={"grant": True, "reason": "Every criterion met"}).json()
    assert decided["status"] == "granted" and decided["decision"]["by"] == "officer"

    register = thailand.client.get("/aeo/operators?status=granted",
                                   headers=thailand.as_("officer")).json()
    assert register["total"] == 1 and register["items"][0]["operator"] == OPERATOR
    assert register["items"][0]["application"] == number
    home = recognition(thailand, recognised=True)
    assert home["recognised"] and home["programme"] == "the AEO programme of TH"
    assert "priority in the worklist" in home["benefits"]

    assert change(thailand, "suspended", "Duty arrears found").json()["status"] == "suspended"
    assert recognition(thailand, recognised=False) == {"operator": OPERATOR, "role": "exporter",
                                     "recognised": False, "programme": None, "benefits": []}
    assert change(thailand, "reinstated", "Arrears paid").json()["status"] == "granted"
    assert recognition(thailand, recognised=True)["recognised"]
    revoked = change(thailand, "revoked", "Smuggling conviction")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    history = revoked.json()["history"]
    assert [(h["change"], h["status"], h["by"], h["reason"]) for h in history] == [
        ("granted", "granted", "officer", "Every criterion met"),
        ("suspended", "suspended", "officer", "Duty arrears found"),
        ("reinstated", "granted", "officer", "Arrears paid"),
        ("revoked", "revoked", "officer", "Smuggling conviction"),
    ]
    assert [h["version"] for h in history] == [1, 2, 3, 4]
    # The operator reads its own authorisation and history.
    own = thailand.client.get(f"/aeo/operators/{OPERATOR}", headers=thailand.as_("trader"))
    assert own.status_code == 200 and len(own.json()["history"]) == 4

    again = change(thailand, "revoked", "Twice")
    assert again.status_code == 409 and "revoked" in again.json()["detail"]
    after = thailand.client.get(f"/aeo/operators/{OPERATOR}",
                                headers=thailand.as_("officer")).json()
    assert len(after["history"]) == 4 and after["version"] == 4


def test_a_trader_applies_for_itself_only_and_reads_only_its_own(thailand: NodeClient) -> None:
    other = apply(thailand, operator="THTRADER0002")
    assert other.status_code == 403 and "THTRADER0002" in other.json()["detail"]
    broker = apply(thailand, who="broker")  # THBROKER0001 naming the sample trader
    assert broker.status_code == 403
    assert thailand.client.get(APPLICATIONS, headers=thailand.as_("officer")).json() == []

    number = apply(thailand).json()["number"]
    unseen = thailand.client.get(f"{APPLICATIONS}/{number}", headers=thailand.as_("broker"))
    assert unseen.status_code == 404 and number in unseen.json()["detail"]
    assert thailand.client.get(APPLICATIONS, headers=thailand.as_("broker")).json() == []
    assert thailand.client.post(f"{APPLICATIONS}/{number}/withdrawal",
                                headers=thailand.as_("broker")).status_code == 404
    # A trader does not validate its own application.
    refused = thailand.client.post(f"{APPLICATIONS}/{number}/validation",
                                   headers=thailand.as_("trader"))
    assert refused.status_code == 403
    seen = thailand.client.get(f"{APPLICATIONS}/{number}", headers=thailand.as_("trader")).json()
    assert seen["status"] == "submitted"
    withdrawn = thailand.client.post(f"{APPLICATIONS}/{number}/withdrawal",
                                     headers=thailand.as_("trader"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_bad_applications_are_refused_naming_each_problem(thailand: NodeClient) -> None:
    badly_named = apply(thailand, operator="th-trader-1")
    assert badly_named.status_code == 422
    assert [e["path"] for e in badly_named.json()["errors"]] == ["operator"]
    assessment = {k: v for k, v in application()["self_assessment"].items()
                  if k != "safety_security"}
    missing = apply(thailand, self_assessment=assessment)
    assert missing.status_code == 422
    assert "self_assessment.safety_security" in [e["path"] for e in missing.json()["errors"]]
    unknown_type = apply(thailand, types=["smuggler"])
    assert unknown_type.status_code == 422 and unknown_type.json()["errors"][0]["path"] == (
        "types.0")
    blank = apply(thailand, name="   ")
    assert blank.status_code == 422 and blank.json()["errors"][0]["path"] == "name"
    too_many = apply(thailand, sites=[{"name": f"Site {n}", "address": "Bangkok"}
                                      for n in range(51)])
    assert too_many.status_code == 422
    assert thailand.client.get(APPLICATIONS, headers=thailand.as_("officer")).json() == []
    # Bad numbers, ids and enums in paths and queries: 422, never a 500.
    assert thailand.client.get(f"{APPLICATIONS}/NOTANUMBER",
                               headers=thailand.as_("officer")).status_code == 422
    assert thailand.client.get(f"{APPLICATIONS}/THAEO2026999999",
                               headers=thailand.as_("officer")).status_code == 404
    assert thailand.client.get(f"{APPLICATIONS}?status=approved",
                               headers=thailand.as_("officer")).status_code == 422
    assert thailand.client.get("/aeo/operators/th-1",
                               headers=thailand.as_("officer")).status_code == 422
    assert thailand.client.get("/aeo/operators/THNOBODY01",
                               headers=thailand.as_("officer")).status_code == 404


def test_officers_grant_only_what_every_criterion_and_a_visit_support(
        thailand: NodeClient) -> None:
    number = validating(thailand)
    path = f"{APPLICATIONS}/{number}"
    early = thailand.client.post(f"{path}/decision", headers=thailand.as_("officer"),
                                 json={"grant": True, "reason": "In a hurry"})
    assert early.status_code == 409 and "not audited" in early.json()["detail"]
    elsewhere = thailand.client.post(f"{path}/visits", headers=thailand.as_("officer"),
                                     json={"site": "Pattaya villa", "on": yesterday(),
                                           "note": "Nice view"})
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["path"] == "site"
    assert "not a site of the application" in elsewhere.json()["detail"]
    unknown = thailand.client.post(f"{path}/findings", headers=thailand.as_("officer"),
                                   json={"criterion": "honesty", "met": True, "note": "yes"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "criterion"

    audit(thailand, number, not_met="financial_solvency")
    refused = thailand.client.post(f"{path}/decision", headers=thailand.as_("officer"),
                                   json={"grant": True, "reason": "Close enough"})
    assert refused.status_code == 409
    assert "financial solvency was found not met" in refused.json()["detail"]
    kept = thailand.client.get(path, headers=thailand.as_("officer")).json()
    assert kept["status"] == "validating" and kept["decision"] is None
    assert kept["missing_for_grant"] == ["the financial solvency was found not met"]
    assert thailand.client.get("/aeo/operators", headers=thailand.as_("officer")).json()[
        "total"] == 0
    # A trader neither audits nor decides.
    assert thailand.client.post(f"{path}/decision", headers=thailand.as_("trader"),
                                json={"grant": True, "reason": "Me"}).status_code == 403
    refusal = thailand.client.post(f"{path}/decision", headers=thailand.as_("officer"),
                                   json={"grant": False, "reason": "Insolvent"})
    assert refusal.status_code == 200 and refusal.json()["status"] == "refused"


def test_only_officers_change_an_authorisation(thailand: NodeClient) -> None:
    granted(thailand)
    refused = change(thailand, "suspended", "I suspend myself", who="trader")
    assert refused.status_code == 403
    bogus = change(thailand, "granted", "Again")
    assert bogus.status_code == 422 and bogus.json()["errors"][0]["path"] == "change"
    assert change(thailand, "suspended", "  ").status_code == 422  # a reason is given
    assert thailand.client.get("/aeo/operators",
                               headers=thailand.as_("trader")).status_code == 403
    held = thailand.client.get(f"/aeo/operators/{OPERATOR}",
                               headers=thailand.as_("officer")).json()
    assert held["status"] == "granted" and len(held["history"]) == 1
    assert thailand.client.get(f"/aeo/operators/{OPERATOR}",
                               headers=thailand.as_("broker")).status_code == 404


def test_consent_is_given_and_withdrawn_by_the_operator_only(thailand: NodeClient) -> None:
    granted(thailand)
    consent = f"/aeo/operators/{OPERATOR}/consent"
    assert thailand.client.put(consent, json={"given": False},
                               headers=thailand.as_("officer")).status_code == 403
    assert thailand.client.put(consent, json={"given": False},
                               headers=thailand.as_("broker")).status_code == 403
    withdrawn = thailand.client.put(consent, json={"given": False},
                                    headers=thailand.as_("trader"))
    assert withdrawn.status_code == 200 and withdrawn.json()["consent"] is False
    assert withdrawn.json()["history"][-1]["change"] == "consent_withdrawn"
    twice = thailand.client.put(consent, json={"given": False}, headers=thailand.as_("trader"))
    assert twice.status_code == 409
    given = thailand.client.put(consent, json={"given": True}, headers=thailand.as_("trader"))
    assert given.status_code == 200 and given.json()["consent"] is True
    assert [h["change"] for h in given.json()["history"]] == [
        "granted", "consent_withdrawn", "consent_given"]


def test_an_administrator_records_the_arrangement_naming_this_node(
        thailand: NodeClient) -> None:
    assert thailand.client.post("/aeo/arrangements", json=arrangement(),
                                headers=thailand.as_("officer")).status_code == 403
    elsewhere = thailand.client.post("/aeo/arrangements",
                                     json=arrangement(partners=["VN", "LA", "SG"]),
                                     headers=thailand.as_("admin"))
    assert elsewhere.status_code == 422 and "TH" in elsewhere.json()["detail"]
    assert elsewhere.json()["errors"][0]["path"] == "partners"
    assert thailand.client.post("/aeo/arrangements", json=arrangement(benefits=["free_beer"]),
                                headers=thailand.as_("admin")).status_code == 422
    assert thailand.client.get("/aeo/arrangements",
                               headers=thailand.as_("officer")).json() == []

    recorded = thailand.client.post("/aeo/arrangements", json=arrangement(),
                                    headers=thailand.as_("admin"))
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["partners"] == ["LA", "MY", "SG", "TH", "VN"]
    assert len(recorded.json()["benefits"]) == 4
    assert thailand.client.post("/aeo/arrangements", json=arrangement(),
                                headers=thailand.as_("admin")).status_code == 409
    listed = thailand.client.get("/aeo/arrangements", headers=thailand.as_("officer")).json()
    assert [a["id"] for a in listed] == ["ASEAN-AEO-MRA"]
    assert thailand.client.get("/aeo/arrangements",
                               headers=thailand.as_("trader")).status_code == 403

    partners = thailand.client.get("/aeo/partners", headers=thailand.as_("officer")).json()
    assert [p["administration"] for p in partners] == ["LA", "MY", "SG", "VN"]
    assert all(p["recognised"] == 0 and p["notices"] == 0 for p in partners)
    told = thailand.client.get("/aeo/partners/VN/operators", headers=thailand.as_("officer"))
    assert told.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert thailand.client.get("/aeo/partners/VN/notices",
                               headers=thailand.as_("officer")).json() == []
    assert thailand.client.get("/aeo/partners/vn/notices",
                               headers=thailand.as_("officer")).status_code == 422
    assert thailand.client.get("/aeo/partners",
                               headers=thailand.as_("trader")).status_code == 403


def test_recognition_answers_what_selectivity_would_grant(thailand: NodeClient) -> None:
    assert recognition(thailand)["recognised"] is False  # not an AEO yet
    assert thailand.client.get(f"/aeo/recognition/{OPERATOR}?role=smuggler",
                               headers=thailand.as_("officer")).status_code == 422
    assert thailand.client.get(f"/aeo/recognition/{OPERATOR}?role=exporter",
                               headers=thailand.as_("trader")).status_code == 403
    granted(thailand)
    consignor = recognition(thailand, "consignor", recognised=True)
    assert consignor["recognised"] and consignor["role"] == "consignor"
    assert "simplified transit procedure (authorised consignor)" in consignor["benefits"]
    assert any("random checks at" in b for b in consignor["benefits"])  # the policy's figures
    change(thailand, "suspended", "Under investigation")
    assert recognition(thailand, "consignor", recognised=False)["recognised"] is False
