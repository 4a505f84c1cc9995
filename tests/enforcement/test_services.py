"""Shared enforcement intelligence on real databases: Viet Nam's node on the test's database
(each engine), Cambodia's and Thailand's on SQLite of their own, each a whole node (clearance,
selectivity, enforcement); what one sends is handed to the other as the gateway would (the
check on receipt, then the handler in its transaction). What may not be taken is refused with
the reason and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden
from singlewindow.declarations.model import Party
from singlewindow.enforcement import messages
from singlewindow.enforcement.errors import AlertConflict, InvalidAlert
from singlewindow.enforcement.model import AlertStatus, Category
from singlewindow.enforcement.repository import AlertRow, OperationRow
from singlewindow.enforcement.services import AlertDraft, Enforcement, SeizureDraft
from singlewindow.exchange.model import UserMessage
from singlewindow.risk.model import Channel, RuleStatus
from singlewindow.risk.repository import RiskRuleRow
from tests.builders import OFFICER, TRADER, import_declaration
from tests.nodes import NodeClient, open_node

TODAY = utcnow().date()
KH_OFFICER = Principal("kh-officer", Role.OFFICER, office="KHPNH01")
KH_TRADER = Principal("kh-trader", Role.TRADER, party_id="KHTRADER0001")
COFFEE_FROM_KH = [{"field": "commodity_code", "operator": "prefix", "value": "0901"},
                  {"field": "origin_country", "operator": "eq", "value": "KH"}]
VIETNAMESE = Party("VNEXP0001", "Saigon Exporters JSC", "VN")


@dataclass
class Outbox:
    """What a node sent, in order: (to party, action, payload)."""

    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __call__(self, session: object, to_party: str, service: str, action: str,
                 payload: bytes, conversation_id: str | None = None) -> str:
        assert service == messages.SERVICE
        self.sent.append((to_party, action, payload))
        return f"{uuid.uuid4()}@sent"

    def take(self) -> list[tuple[str, str, bytes]]:
        taken, self.sent = self.sent, []
        return taken


class Nodes:
    """Viet Nam's node, and Cambodia's and Thailand's made when a test first asks (a node
    with its samples takes seconds to open)."""

    def __init__(self, vn: NodeClient, tmp_path: Path) -> None:
        self.vn = vn
        self.tmp_path = tmp_path
        self.out: dict[str, Outbox] = {}
        self.opened: dict[str, NodeClient] = {}
        self._wire("VN", vn)

    def _wire(self, country: str, node: NodeClient) -> None:
        self.out[country] = Outbox()
        node.opened.enforcement.send = self.out[country]
        node.opened.enforcement.partners = lambda: ["VN", "KH", "TH"]
        self.opened[country] = node

    def node(self, country: str) -> NodeClient:
        if country not in self.opened:
            own = Database(f"sqlite:///{self.tmp_path}/{country}.db")
            self._wire(country, open_node(own, self.tmp_path / country.lower(), country))
        return self.opened[country]

    @property
    def kh(self) -> NodeClient:
        return self.node("KH")

    @property
    def th(self) -> NodeClient:
        return self.node("TH")

    def of(self, country: str) -> Enforcement:
        return self.node(country).opened.enforcement

    def deliver(self, sender: str) -> list[str]:
        """Every message `sender` sent handed to its addressee; the refusals, in words."""
        refusals = []
        for to_party, action, payload in self.out[sender].take():
            to = self.of(to_party[:2])
            incoming = UserMessage(f"{uuid.uuid4()}@{sender}", utcnow(), f"{sender}-CUSTOMS",
                                   to_party, messages.SERVICE, action, "enf", payload=payload)
            refusal = to.admit(incoming)
            if refusal is not None:
                refusals.append(refusal)
                continue
            with to.database.unit_of_work() as session:
                to.receive(session, incoming)
        return refusals

    def close(self) -> None:
        for country, node in self.opened.items():
            if country != "VN":
                node.opened.database.dispose()


@pytest.fixture
def nodes(database: Database, tmp_path: Path) -> Iterator[Nodes]:
    made = Nodes(open_node(database, tmp_path / "vn", "VN"), tmp_path)
    yield made
    made.close()


def draft(**changes: object) -> AlertDraft:
    values: dict[str, object] = dict(
        category=Category.OTHER, title="Coffee hiding methamphetamine",
        description="Sacks of green coffee with packets of crystals inside",
        criteria=COFFEE_FROM_KH, valid_from=TODAY, valid_to=TODAY + timedelta(days=30),
        channel=Channel.RED, concealment=["packets sewn inside the sacks"])
    values.update(changes)
    return AlertDraft(**values)  # type: ignore[arg-type]


def kh_import(lrn: str, **changes: object):  # type: ignore[no-untyped-def]
    """Cambodia imports Vietnamese-exported coffee of Cambodian origin (re-imported)."""
    buyer = Party("KHTRADER0001", "Phnom Penh Traders", "KH")
    return import_declaration(lrn, declarant=buyer, importer=buyer, seller=VIETNAMESE,
                              exporter=VIETNAMESE, office="KHPNH01", export_country="VN",
                              destination_country="KH", exchange_rate=Decimal("4100"),
                              **changes)


def test_an_alert_to_every_partner_becomes_a_profile_there_and_its_hits_come_back(
        nodes: Nodes) -> None:
    raised = nodes.of("VN").raise_alert(draft(), OFFICER)
    assert raised.alert.id == "VN-ALERT-1" and raised.raised_here
    assert raised.recipients == ("KH", "TH")
    # Its own profile at once, at home.
    with nodes.vn.opened.database.unit_of_work() as session:
        assert session.get(RiskRuleRow, "VN-ALERT-1").status == "active"
    sent = nodes.out["VN"].sent
    assert [(to, action) for to, action, _ in sent] == [
        ("KH-CUSTOMS", messages.ALERT), ("TH-CUSTOMS", messages.ALERT)]
    assert nodes.deliver("VN") == []
    received = nodes.of("KH").alert("VN-ALERT-1", KH_OFFICER)
    assert not received.raised_here and received.received_at is not None
    # The next lodgement in Cambodia is selected by it.
    lodged = nodes.kh.opened.clearance.lodge(kh_import("KH-1"), KH_TRADER)
    assert lodged.channel is Channel.RED
    assert any("VN-ALERT-1" in r for r in lodged.selection["reasons"]), lodged.selection
    hits = nodes.of("KH").hits(KH_OFFICER, "VN-ALERT-1")
    assert [(h.country, h.declaration, h.reported) for h in hits] == [
        ("KH", lodged.number, True)]
    # Reported to Viet Nam from the lodgement's transaction, and recorded there.
    assert [a for _, a, _ in nodes.out["KH"].sent] == [messages.HIT]
    assert nodes.deliver("KH") == []
    home = nodes.of("VN").alert("VN-ALERT-1", OFFICER)
    assert [(h.country, h.declaration) for h in home.hits] == [("KH", lodged.number)]
    # A declaration the criteria do not meet is no hit.
    other = nodes.kh.opened.clearance.lodge(
        kh_import("KH-2", items=(replace(import_declaration().items[0], origin_country="BR"),)),
        KH_TRADER)
    assert len(nodes.of("KH").hits(KH_OFFICER, "VN-ALERT-1")) == 1, other.number


def test_an_alert_selects_at_home_too(nodes: Nodes) -> None:
    nodes.of("VN").raise_alert(draft(), OFFICER)
    lodged = nodes.vn.opened.clearance.lodge(import_declaration("VN-1"), TRADER)
    assert lodged.channel is Channel.RED
    hits = nodes.of("VN").hits(OFFICER)
    assert [(h.alert, h.country, h.reported) for h in hits] == [("VN-ALERT-1", "VN", True)]


def test_an_alert_with_unknown_criteria_is_refused_and_nothing_changes(nodes: Nodes) -> None:
    with pytest.raises(InvalidAlert) as refused:
        nodes.of("VN").raise_alert(draft(criteria=[{"field": "colour", "operator": "eq",
                                                    "value": "red"}]), OFFICER)
    assert refused.value.problems[0].path == "criteria.0.field"
    with nodes.vn.opened.database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AlertRow)) == 0
    assert nodes.out["VN"].sent == []


def test_traders_never_raise_or_see_alerts(nodes: Nodes) -> None:
    nodes.of("VN").raise_alert(draft(), OFFICER)
    for call in (lambda: nodes.of("VN").alerts(TRADER),
                 lambda: nodes.of("VN").alert("VN-ALERT-1", TRADER),
                 lambda: nodes.of("VN").hits(TRADER),
                 lambda: nodes.of("VN").raise_alert(draft(), TRADER)):
        with pytest.raises(Forbidden):
            call()


def test_a_joint_operations_alert_reaches_its_members_only(nodes: Nodes) -> None:
    vn = nodes.of("VN")
    operation = vn.create_operation("OP-MEKONG-26", "Mekong Dragon", ["KH"], TODAY,
                                    TODAY + timedelta(days=60), OFFICER)
    assert operation.members == {"VN", "KH"}
    assert [to for to, _, _ in nodes.out["VN"].sent] == ["KH-CUSTOMS"]
    assert nodes.deliver("VN") == []
    assert [o.code for o in nodes.of("KH").operations(KH_OFFICER)] == ["OP-MEKONG-26"]
    assert nodes.of("TH").operations(Principal("th", Role.OFFICER)) == []
    raised = vn.raise_alert(draft(operation="OP-MEKONG-26"), OFFICER)
    assert raised.recipients == ("KH",)  # the sender filters: Thailand is no member
    assert [to for to, _, _ in nodes.out["VN"].sent] == ["KH-CUSTOMS"]
    assert nodes.deliver("VN") == []
    assert nodes.of("TH").alerts(Principal("th", Role.OFFICER)) == []
    # The hit and a seizure show on the operation's board at the coordinator.
    lodged = nodes.kh.opened.clearance.lodge(kh_import("KH-OP-1"), KH_TRADER)
    seized = nodes.of("KH").record_seizure(SeizureDraft(
        "Methamphetamine", "293349", Decimal("12.5"), "kg", "packets sewn inside the sacks",
        declaration=lodged.number, alert="VN-ALERT-1", shareable=True), KH_OFFICER)
    assert seized.seizure.operation == "OP-MEKONG-26" and seized.shared_at is not None
    assert [(to, a) for to, a, _ in nodes.out["KH"].sent] == [
        ("VN-CUSTOMS", messages.HIT), ("VN-CUSTOMS", messages.SEIZURE)]
    assert nodes.deliver("KH") == []
    board = vn.board("OP-MEKONG-26", OFFICER)
    assert [a.alert.id for a in board.alerts] == ["VN-ALERT-1"]
    assert [(h.country, h.declaration) for h in board.hits] == [("KH", lodged.number)]
    assert [(s.seizure.id, s.recorded_here) for s in board.seizures] == [("KH-SEIZURE-1", False)]


def test_an_alert_naming_an_operation_the_node_is_not_in_is_refused(nodes: Nodes) -> None:
    nodes.of("VN").create_operation("OP-MEKONG-26", "Mekong Dragon", ["KH"], TODAY,
                                    TODAY + timedelta(days=60), OFFICER)
    nodes.deliver("VN")
    with pytest.raises(InvalidAlert, match="not a member of joint operation OP-MEKONG-26"):
        nodes.of("TH").raise_alert(draft(operation="OP-MEKONG-26"), Principal("t", Role.OFFICER))
    # Thailand forges one anyway: Cambodia refuses it with the reason, nothing kept.
    forged = nodes.of("TH")
    with nodes.th.opened.database.unit_of_work() as session:
        session.add(OperationRow(code="OP-MEKONG-26", name="forged", coordinator="TH",
                                 members=["TH", "KH"], starts_on=TODAY, ends_on=TODAY,
                                 created_by="x", recorded_at=utcnow()))
    forged.raise_alert(draft(operation="OP-MEKONG-26"), Principal("t", Role.OFFICER))
    refusals = nodes.deliver("TH")
    assert refusals == ["TH is not a member of joint operation OP-MEKONG-26"]
    assert nodes.of("KH").alerts(KH_OFFICER) == []


def test_a_withdrawn_alert_retires_its_profiles(nodes: Nodes) -> None:
    nodes.of("VN").raise_alert(draft(), OFFICER)
    nodes.deliver("VN")
    with pytest.raises(Forbidden):
        nodes.of("KH").withdraw_alert("VN-ALERT-1", "not ours", KH_OFFICER)
    withdrawn = nodes.of("VN").withdraw_alert("VN-ALERT-1", "the ring was arrested", OFFICER)
    assert withdrawn.status is AlertStatus.WITHDRAWN
    assert nodes.deliver("VN") == []
    for node in (nodes.vn, nodes.kh):
        with node.opened.database.unit_of_work() as session:
            assert session.get(RiskRuleRow, "VN-ALERT-1").status == RuleStatus.RETIRED.value
    assert nodes.of("KH").alert("VN-ALERT-1", KH_OFFICER).status is AlertStatus.WITHDRAWN
    lodged = nodes.kh.opened.clearance.lodge(kh_import("KH-3"), KH_TRADER)
    assert nodes.of("KH").hits(KH_OFFICER) == [], lodged.number
    with pytest.raises(AlertConflict):
        nodes.of("VN").withdraw_alert("VN-ALERT-1", "again", OFFICER)


def test_a_hit_for_another_administrations_alert_is_refused(nodes: Nodes) -> None:
    nodes.of("VN").raise_alert(draft(), OFFICER)
    nodes.deliver("VN")
    nodes.out["KH"].sent.append(("TH-CUSTOMS", messages.HIT, messages.hit_document(
        "KH", "VN-ALERT-1", "KH-X", utcnow(), [], Channel.RED)))
    assert nodes.deliver("KH") == ["VN-ALERT-1 is not an alert of TH"]


def test_a_seizure_names_a_declaration_lodged_here(nodes: Nodes) -> None:
    with pytest.raises(InvalidAlert) as refused:
        nodes.of("VN").record_seizure(SeizureDraft(
            "Cigarettes", "240220", Decimal("10000"), "sticks", declaration="VN-NOPE",
            alert="VN-ALERT-9"), OFFICER)
    assert {p.path for p in refused.value.problems} == {"declaration", "alert"}
    kept = nodes.of("VN").record_seizure(SeizureDraft(
        "Cigarettes", "240220", Decimal("10000"), "sticks"), OFFICER)
    assert kept.seizure.id == "VN-SEIZURE-1" and kept.shared_at is None
    assert nodes.out["VN"].sent == []
    shared = nodes.of("VN").share_seizure("VN-SEIZURE-1", OFFICER)
    assert shared.shared_at is not None
    assert nodes.deliver("VN") == []
    assert [s.seizure.id for s in nodes.of("TH").seizures(Principal("t", Role.OFFICER))] == [
        "VN-SEIZURE-1"]
    with pytest.raises(AlertConflict):
        nodes.of("VN").share_seizure("VN-SEIZURE-1", OFFICER)


def test_an_expired_alert_reads_expired(nodes: Nodes) -> None:
    raised = nodes.of("VN").raise_alert(draft(valid_to=TODAY), OFFICER)
    vn = nodes.of("VN")
    later = Enforcement(vn.database, "VN", clock=lambda: utcnow() + timedelta(days=2))
    assert later.alert(raised.alert.id, OFFICER).status is AlertStatus.EXPIRED
    assert date.today() <= raised.alert.valid_to
