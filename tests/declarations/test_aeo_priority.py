"""An authorised economic operator's declarations go first in the officers' worklist; the
benefit is the officers' knowledge, never shown to traders."""

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from singlewindow.declarations.model import Declaration, Party
from singlewindow.declarations.repository import DeclarationRow
from singlewindow.declarations.schemas import DeclarationRead, EventRead
from singlewindow.declarations.services import Clearance
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import AeoRole, AeoStanding, Channel
from singlewindow.risk.services import RuleDraft
from tests.builders import OFFICER, TRADER, import_declaration
from tests.nodes import NodeClient
from tests.web.console import console_as

THAI_AEO = Party("THTRADER0001", "Bangkok Coffee Exporters Co., Ltd.", "TH")
NOT_PRIORITY = Party("THTRADER0002", "Chiang Mai Beans Co., Ltd.", "TH")
EXPORT = "TH26THBKK0000000017"  # the export the import cites (off a network: not checked)


def bought_from(exporter: Party, lrn: str) -> Declaration:
    """An import of goods the Thai exporter sent, citing its export."""
    return import_declaration(lrn, exporter=exporter, export_reference=EXPORT)


def register(parties: Sequence[tuple[str, AeoRole]], on: date) -> AeoStanding | None:
    """THTRADER0001 recognised as exporter with every benefit; THTRADER0002 without priority."""
    for party, role in parties:
        if role is AeoRole.EXPORTER and party == THAI_AEO.id:
            return AeoStanding(party, role, "ASEAN AEO MRA (recognised from TH-CUSTOMS)")
        if role is AeoRole.EXPORTER and party == NOT_PRIORITY.id:
            return AeoStanding(party, role, "the AEO programme of TH", priority=False)
    return None


def coffee_goes_red(clearance: Clearance) -> None:
    selectivity.create_rule(clearance.database, RuleDraft(
        "coffee check", [{"field": "commodity_code", "operator": "prefix", "value": "0901"}],
        Channel.RED, date(2026, 1, 1)), "officer")
    clearance.selectivity.aeo = register


def test_a_priority_aeos_declaration_comes_first_in_the_worklist(clearance: Clearance) -> None:
    coffee_goes_red(clearance)
    plain = clearance.lodge(import_declaration("LRN-PLAIN"), TRADER)
    no_priority = clearance.lodge(bought_from(NOT_PRIORITY, "LRN-NOPRIO"), TRADER)
    aeo = clearance.lodge(bought_from(THAI_AEO, "LRN-AEO"), TRADER)
    assert {plain.channel, no_priority.channel, aeo.channel} == {Channel.RED}
    # Lodged last, at the same score and channel: first all the same.
    order = [v.number for v in clearance.worklist(OFFICER)]
    assert order == [aeo.number, plain.number, no_priority.number]
    with clearance.database.unit_of_work() as session:
        rows = session.execute(select(DeclarationRow.number, DeclarationRow.aeo_operator))
        stored = {number: operator for number, operator in rows}
    assert stored == {aeo.number: "THTRADER0001", plain.number: None, no_priority.number: None}
    first = clearance.worklist(OFFICER)[0]
    assert first.aeo_operator == "THTRADER0001"
    assert any(r.startswith("AEO benefit: exporter THTRADER0001") and "priority" in r
               for r in first.selection["reasons"])


def test_traders_see_neither_the_aeo_priority_nor_its_reasons(clearance: Clearance) -> None:
    coffee_goes_red(clearance)
    lodged = clearance.lodge(bought_from(THAI_AEO, "LRN-AEO"), TRADER)
    officer = DeclarationRead.of(clearance.get(lodged.number, OFFICER), OFFICER)
    assert officer.aeo_operator == "THTRADER0001"
    assert officer.reasons and any("AEO benefit" in r for r in officer.reasons)
    trader = DeclarationRead.of(clearance.get(lodged.number, TRADER), TRADER)
    assert trader.aeo_operator is None and trader.reasons is None
    assert "AEO benefit" not in trader.model_dump_json()
    assert "ASEAN AEO MRA" not in trader.model_dump_json()
    channelled = [e for e in clearance.events(lodged.number, TRADER) if e.kind == "channelled"]
    assert channelled and all("aeo" not in EventRead.of(e, TRADER).detail for e in channelled)
    assert channelled[0].detail["aeo"]["operator"] == "THTRADER0001"  # kept, for officers


def test_the_worklist_page_marks_an_aeos_declaration(node: NodeClient) -> None:
    clearance = node.opened.clearance
    coffee_goes_red(clearance)
    clearance.selectivity.refresh()
    plain = clearance.lodge(import_declaration("LRN-PLAIN"), TRADER)
    aeo = clearance.lodge(bought_from(THAI_AEO, "LRN-PRIO"), TRADER)
    page = console_as(node, "officer").get("/worklist").text
    rows = {number: row for number, row in re.findall(
        r'<tr><td><a href="/declarations/([^"]+)">(.*?)</tr>', page, re.S)}
    assert 'class="badge aeo"' in rows[aeo.number] and "THTRADER0001" in rows[aeo.number]
    assert 'class="badge aeo"' not in rows[plain.number]
    assert page.index(aeo.number) < page.index(plain.number)
    # The trader's own page of it says nothing of the benefit.
    mine = console_as(node, "trader").get(f"/declarations/{aeo.number}").text
    assert "AEO benefit" not in mine and "ASEAN AEO MRA" not in mine and "badge aeo" not in mine


def test_a_foreign_exporter_counts_only_when_the_import_cites_its_export(clearance) -> None:
    """An importer's word alone does not make its supplier a partner's AEO."""
    claimed = clearance.lodge(import_declaration("LRN-CLAIM", exporter=THAI_AEO), TRADER)
    assert claimed.aeo_operator is None
    assert not any("AEO benefit" in r for r in claimed.selection["reasons"])
