"""The AEO programme and mutual recognition on real databases: two administrations (TH, VN),
each with its own database, the messages one sends handed to the other as the gateway would
(the check on receipt, then the handler in its transaction). What a dishonest party tries is
refused and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from singlewindow.access.model import Principal, Role
from singlewindow.aeo import messages
from singlewindow.aeo.errors import InvalidApplication, StatusConflict, UnknownOperator
from singlewindow.aeo.model import (
    AeoStatus,
    ApplicationStatus,
    Arrangement,
    Benefit,
    Change,
    Criterion,
)
from singlewindow.aeo.repository import ApplicationRow, OperatorRow, PartnerOperatorRow
from singlewindow.aeo.services import Aeo
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, NotFound
from singlewindow.core.migrate import upgrade
from singlewindow.exchange.model import UserMessage
from singlewindow.risk.model import AeoRole
from tests.aeo.builders import ADMIN, APPLICANT, NOW, OFFICER, OPERATOR, VISITED_ON, application

VN_OFFICER = Principal("vn-officer", Role.OFFICER, office="VNHCM01")
VN_ADMIN = Principal("vn-admin", Role.ADMIN)
MRA = Arrangement("ASEAN-AEO-MRA", "ASEAN AEO MRA", frozenset({"TH", "VN"}), date(2026, 12, 1),
                  frozenset(Benefit), frozenset(AeoRole))


@dataclass
class Outbox:
    """What a service sent, in order: (to party, action, payload)."""

    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __call__(self, session: object, to_party: str, service: str, action: str,
                 payload: bytes, conversation_id: str | None = None) -> str:
        assert service == messages.SERVICE
        self.sent.append((to_party, action, payload))
        return str(uuid.uuid4())

    def take(self) -> list[tuple[str, str, bytes]]:
        taken, self.sent = self.sent, []
        return taken


@dataclass
class Administrations:
    th: Aeo
    vn: Aeo
    th_out: Outbox
    vn_out: Outbox


@pytest.fixture
def pair(database: Database, tmp_path: Path) -> Iterator[Administrations]:
    """TH on the test's database (each engine), VN on SQLite of its own."""
    vn_database = Database(f"sqlite:///{tmp_path}/vn.db")
    upgrade(vn_database)
    th_out, vn_out = Outbox(), Outbox()
    clock = lambda: NOW  # noqa: E731
    yield Administrations(Aeo(database, "TH", th_out, clock), Aeo(vn_database, "VN", vn_out,
                                                                   clock), th_out, vn_out)
    vn_database.dispose()


def message(action: str, payload: bytes, sender: str = "TH-CUSTOMS") -> UserMessage:
    return UserMessage(f"{uuid.uuid4()}@{sender}", NOW, sender, "VN-CUSTOMS", messages.SERVICE,
                       action, "ASEAN-AEO-MRA", payload=payload)


def deliver(to: Aeo, sent: list[tuple[str, str, bytes]]) -> None:
    """As the gateway does: the check on receipt, then the handler in its transaction."""
    sender = "VN-CUSTOMS" if to.country == "TH" else "TH-CUSTOMS"
    for _, action, payload in sent:
        incoming = replace(message(action, payload, sender), to_party=f"{to.country}-CUSTOMS")
        if action == messages.LIST_REQUEST:
            admit, handle = to.admit_request, to.receive_request
        else:
            admit, handle = to.admit_notice, to.receive_notice
        assert admit(incoming) is None, admit(incoming)
        with to.database.unit_of_work() as session:
            handle(session, incoming)


def without_requests(sent: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """What was sent but the requests for lists."""
    return [s for s in sent if s[1] != messages.LIST_REQUEST]


def granted(aeo: Aeo, operator: str = OPERATOR, consent: bool = True) -> str:
    """An operator through the whole programme: applied, validated, visited, granted."""
    trader = replace(APPLICANT, party_id=operator)
    number = aeo.apply(application(operator, consent), trader).number
    aeo.start_validation(number, OFFICER)
    for criterion in Criterion:
        aeo.record_finding(number, criterion, True, "seen in the records", OFFICER)
    aeo.record_visit(number, "Bangkok warehouse", VISITED_ON, "seals, CCTV, access log", OFFICER)
    view = aeo.decide(number, True, "all criteria met", OFFICER)
    assert view.status is ApplicationStatus.GRANTED
    return number


def recognised(aeo: Aeo, operator: str = OPERATOR, role: AeoRole = AeoRole.EXPORTER) -> bool:
    return aeo.recognition(operator, role, VN_OFFICER, NOW.date()) is not None


def test_the_programme_from_application_to_the_register(pair: Administrations) -> None:
    th = pair.th
    number = th.apply(application(), APPLICANT).number
    assert number.startswith("THAEO2026")
    assert [a.number for a in th.applications(APPLICANT)] == [number]
    assert th.start_validation(number, OFFICER).missing_for_grant == (
        *(f"the {c.words} is not audited yet" for c in Criterion),
        "no on-site visit is recorded")
    for criterion in Criterion:
        th.record_finding(number, criterion, True, "ok", OFFICER)
    th.record_visit(number, "Ayutthaya mill", VISITED_ON, "visited", OFFICER)
    th.decide(number, True, "all criteria met", OFFICER)
    operator = th.operator(OPERATOR, OFFICER)
    assert operator.status is AeoStatus.GRANTED and operator.consent
    assert [(h.change, h.by, h.reason) for h in operator.history] == [
        ("granted", "auditor", "all criteria met")]
    th.change_status(OPERATOR, Change.SUSPENDED, "false declarations found", OFFICER)
    th.change_status(OPERATOR, Change.REINSTATED, "corrected", OFFICER)
    history = th.operator(OPERATOR, APPLICANT).history  # the operator sees its own
    assert [(h.change, h.status, h.version) for h in history] == [
        ("granted", "granted", 1), ("suspended", "suspended", 2), ("reinstated", "granted", 3)]
    register, total = th.register(OFFICER)
    assert total == 1 and register[0].operator == OPERATOR


def test_a_trader_acts_for_itself_only(pair: Administrations) -> None:
    th = pair.th
    other = replace(APPLICANT, party_id="THOTHER0002")
    with pytest.raises(Forbidden):
        th.apply(application(), other)  # applying in another's name
    number = th.apply(application(), APPLICANT).number
    with pytest.raises(NotFound):
        th.application(number, other)
    assert th.applications(other) == []
    with pytest.raises(Forbidden):
        th.start_validation(number, APPLICANT)  # validating its own application
    granted_number = _finish(th, number)
    assert granted_number
    with pytest.raises(Forbidden):
        th.change_status(OPERATOR, Change.REINSTATED, "please", APPLICANT)
    with pytest.raises(Forbidden):
        th.set_consent(OPERATOR, False, other)
    with pytest.raises(UnknownOperator):
        th.operator(OPERATOR, other)
    with pytest.raises(Forbidden):
        th.register(APPLICANT)
    assert th.operator(OPERATOR, OFFICER).status is AeoStatus.GRANTED


def _finish(th: Aeo, number: str) -> str:
    th.start_validation(number, OFFICER)
    for criterion in Criterion:
        th.record_finding(number, criterion, True, "ok", OFFICER)
    th.record_visit(number, "Bangkok warehouse", VISITED_ON, "visited", OFFICER)
    return th.decide(number, True, "met", OFFICER).number


def test_a_grant_with_a_criterion_not_met_is_refused_and_nothing_changes(
        pair: Administrations) -> None:
    th = pair.th
    number = th.apply(application(), APPLICANT).number
    th.start_validation(number, OFFICER)
    for criterion in Criterion:
        th.record_finding(number, criterion, criterion is not Criterion.SAFETY_SECURITY,
                          "seen", OFFICER)
    th.record_visit(number, "Bangkok warehouse", VISITED_ON, "visited", OFFICER)
    with pytest.raises(StatusConflict, match="safety and security was found not met"):
        th.decide(number, True, "looks fine", OFFICER)
    assert th.application(number, OFFICER).status is ApplicationStatus.VALIDATING
    with th.database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OperatorRow)) == 0
    th.decide(number, False, "site security not met", OFFICER)
    assert th.application(number, APPLICANT).decision == {
        "decision": "refused", "reason": "site security not met", "by": "auditor",
        "at": NOW.isoformat()}


def test_revoking_what_was_never_granted_or_twice_is_refused(pair: Administrations) -> None:
    th = pair.th
    with pytest.raises(UnknownOperator):
        th.change_status(OPERATOR, Change.REVOKED, "never granted", OFFICER)
    granted(th)
    th.change_status(OPERATOR, Change.REVOKED, "fraud", OFFICER)
    with pytest.raises(StatusConflict, match="revoked: it cannot become revoked"):
        th.change_status(OPERATOR, Change.REVOKED, "again", OFFICER)
    with pytest.raises(StatusConflict):
        th.change_status(OPERATOR, Change.REINSTATED, "undo", OFFICER)
    assert th.operator(OPERATOR, OFFICER).version == 2


def test_one_open_application_at_a_time_and_bad_data_writes_nothing(
        pair: Administrations) -> None:
    th = pair.th
    with pytest.raises(InvalidApplication):
        th.apply(application(self_assessment={}), APPLICANT)
    with th.database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ApplicationRow)) == 0
    th.apply(application(), APPLICANT)
    with pytest.raises(StatusConflict, match="open"):
        th.apply(application(), APPLICANT)


def test_the_arrangement_sends_the_consented_list_and_the_partner_recognises(
        pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    granted(th, OPERATOR, consent=True)
    granted(th, "THSECRET0002", consent=False)  # never leaves Thailand
    th.record_arrangement(MRA, ADMIN)
    sent = pair.th_out.take()
    assert [(to, action) for to, action, _ in sent] == [
        ("VN-CUSTOMS", messages.LIST_REQUEST), ("VN-CUSTOMS", messages.LIST)]
    listed = orjson.loads(sent[1][2])["Operators"]
    assert [o["Operator"] for o in listed] == [OPERATOR]
    vn.record_arrangement(MRA, VN_ADMIN)
    deliver(vn, without_requests(sent))
    assert recognised(vn) and not recognised(vn, "THSECRET0002")
    summary = {p.administration: p for p in vn.partners(VN_OFFICER)}["TH"]
    assert (summary.recognised, summary.notices) == (1, 1)
    # A second recording of the arrangement sends nothing again.
    assert th.send_due_lists() == 0 and pair.th_out.take() == []


def test_changes_reach_the_partner_in_any_order_and_the_latest_wins(
        pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    granted(th)
    for aeo, admin in ((th, ADMIN), (vn, VN_ADMIN)):
        aeo.record_arrangement(MRA, admin)
    deliver(vn, without_requests(pair.th_out.take()))
    th.change_status(OPERATOR, Change.SUSPENDED, "audit", OFFICER)
    suspended = pair.th_out.take()
    th.change_status(OPERATOR, Change.REINSTATED, "cleared", OFFICER)
    reinstated = pair.th_out.take()
    th.change_status(OPERATOR, Change.SUSPENDED, "audit again", OFFICER)
    suspended_again = pair.th_out.take()
    deliver(vn, suspended)
    assert not recognised(vn)
    deliver(vn, suspended_again)
    deliver(vn, reinstated)  # late: version 3 < 4, changes nothing
    assert not recognised(vn)
    assert vn.partner_operator(OPERATOR, VN_OFFICER).version == 4
    deliver(vn, suspended)  # sent twice: taken once
    notices = vn.notices("TH", VN_OFFICER)
    assert [n.applied for n in notices] == [0, 0, 1, 1, 1]


def test_consent_withdrawn_makes_the_partner_drop_the_operator(pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    granted(th)
    for aeo, admin in ((th, ADMIN), (vn, VN_ADMIN)):
        aeo.record_arrangement(MRA, admin)
    deliver(vn, without_requests(pair.th_out.take()))
    th.set_consent(OPERATOR, False, APPLICANT)
    sent = pair.th_out.take()
    assert [orjson.loads(p)["Change"] for _, _, p in sent] == ["consent_withdrawn"]
    assert orjson.loads(sent[0][2])["Operators"][0]["Name"] == ""  # nothing of it goes out
    deliver(vn, sent)
    assert not recognised(vn)
    held = vn.partner_operator(OPERATOR, VN_OFFICER)
    assert (held.status, held.name, held.types) == ("withdrawn", "", ())
    # Without consent its later changes stay at home.
    th.change_status(OPERATOR, Change.SUSPENDED, "audit", OFFICER)
    assert pair.th_out.take() == []
    th.change_status(OPERATOR, Change.REINSTATED, "cleared", OFFICER)
    th.set_consent(OPERATOR, True, APPLICANT)
    deliver(vn, pair.th_out.take())
    assert recognised(vn)


def test_a_partner_outside_any_arrangement_is_refused_and_nothing_is_kept(
        pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    granted(th)
    th.record_arrangement(MRA, ADMIN)
    sent = without_requests(pair.th_out.take())
    incoming = message(messages.LIST, sent[0][2])
    why = vn.admit_notice(incoming)  # VN never recorded the arrangement
    assert why is not None and "outside any arrangement" in why
    later = replace(MRA, starts_on=NOW.date() + timedelta(days=30))
    vn.record_arrangement(later, VN_ADMIN)
    why = vn.admit_notice(incoming)
    assert why is not None and "not in force" in why
    with vn.database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PartnerOperatorRow)) == 0


def test_an_administration_tells_only_of_its_own_operators(pair: Administrations) -> None:
    vn = pair.vn
    vn.record_arrangement(MRA, VN_ADMIN)
    forged = orjson.dumps({"Administration": "TH", "Arrangement": "ASEAN-AEO-MRA", "Part": 1,
                           "Parts": 1, "Operators": [{
                               "Operator": "SGFRIEND0001", "Name": "x", "Types": [],
                               "Status": "granted", "Version": 1, "At": NOW.isoformat()}]})
    why = vn.admit_notice(message(messages.LIST, forged))
    assert why is not None and "not an operator of TH" in why
    # The issuer of a document is its administration: the gateway checks it against the signer.
    assert messages.administration_issuer(forged) == "TH-CUSTOMS"
    for broken, where in ((b"[]", "JSON object"), (b"{", "not JSON"),
                          (forged.replace(b"SGFRIEND", b"THFRIEND").replace(b'"Version":1',
                                                                            b'"Version":0'),
                           "Version")):
        why = vn.admit_notice(message(messages.LIST, broken))
        assert why is not None and where in why


def test_a_list_of_many_operators_goes_in_parts(pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    with th.database.unit_of_work() as session:
        for n in range(messages.LIST_PART + 5):
            session.add(OperatorRow(operator=f"TH{n:010d}", name=f"Operator {n}", address="x",
                                    types=["carrier"], application="THAEO2026000000",
                                    status="granted", consent=True, version=1,
                                    granted_on=NOW.date(), updated_at=NOW))
    th.record_arrangement(MRA, ADMIN)
    sent = without_requests(pair.th_out.take())
    assert [len(orjson.loads(p)["Operators"]) for _, _, p in sent] == [messages.LIST_PART, 5]
    vn.record_arrangement(MRA, VN_ADMIN)
    deliver(vn, sent)
    assert {p.administration: p.recognised for p in vn.partners(VN_OFFICER)} == {
        "TH": messages.LIST_PART + 5}
    assert recognised(vn, "TH0000002004", AeoRole.CARRIER)


def test_an_arrangement_is_recorded_by_an_administrator_and_names_this_node(
        pair: Administrations) -> None:
    with pytest.raises(Forbidden):
        pair.th.record_arrangement(MRA, OFFICER)
    with pytest.raises(InvalidApplication):
        pair.th.record_arrangement(replace(MRA, partners=frozenset({"VN", "SG"})), ADMIN)
    pair.th.record_arrangement(MRA, ADMIN)
    with pytest.raises(StatusConflict):
        pair.th.record_arrangement(MRA, ADMIN)
    assert [a.id for a in pair.th.arrangements()] == ["ASEAN-AEO-MRA"]


def test_a_partner_that_records_the_arrangement_late_asks_for_the_list_it_missed(
        pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    granted(th)
    th.record_arrangement(MRA, ADMIN)
    missed = without_requests(pair.th_out.take())
    assert vn.admit_notice(message(messages.LIST, missed[0][2])) is not None  # refused then
    vn.record_arrangement(MRA, VN_ADMIN)
    asked = pair.vn_out.take()
    assert [(to, action) for to, action, _ in asked] == [("TH-CUSTOMS", messages.LIST_REQUEST)]
    deliver(th, asked)  # Thailand answers with its list
    deliver(vn, pair.th_out.take())
    assert recognised(vn)


def test_a_request_for_the_list_from_outside_the_arrangement_is_refused(
        pair: Administrations) -> None:
    th = pair.th
    granted(th)
    th.record_arrangement(MRA, ADMIN)
    pair.th_out.take()
    request = replace(message(messages.LIST_REQUEST, messages.request_document(
        "SG", "ASEAN-AEO-MRA"), "SG-CUSTOMS"), to_party="TH-CUSTOMS")
    why = th.admit_request(request)
    assert why is not None and "SG is not a partner" in why
    assert th.admit_request(replace(request, payload=b"{}")) is not None
    assert pair.th_out.take() == []


def test_a_request_under_an_arrangement_not_recorded_yet_is_taken_and_answered_later(
        pair: Administrations) -> None:
    th, vn = pair.th, pair.vn
    granted(th)
    vn.record_arrangement(MRA, VN_ADMIN)
    deliver(th, pair.vn_out.take())  # Thailand has not recorded it: nothing to answer yet
    assert pair.th_out.take() == []
    th.record_arrangement(MRA, ADMIN)  # recording it sends the list to every partner
    deliver(vn, without_requests(pair.th_out.take()))
    assert recognised(vn)
