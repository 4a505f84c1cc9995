"""The AEO register's port in selectivity: which parties are asked, in which roles, and what a
standing it gives changes in the decision (the AEO room fills the port; here a lambda does)."""

from collections.abc import Sequence
from datetime import date

from singlewindow.core.db import Database
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import AeoRole, AeoStanding, RiskSubject, SelectivityPolicy

DAY = date(2026, 6, 1)
ITEMS = [{"commodity_code": "24022090", "origin_country": "CN"}]


def subject(**header: object) -> RiskSubject:
    return RiskSubject(header, ITEMS)


def test_the_parties_asked_and_their_roles_by_type_of_declaration() -> None:
    imports = subject(type="IM", importer="VNIMP001", exporter="THTRADER0001", declarant="D1",
                      export_reference="TH26THBKK0000000017")
    assert selectivity.aeo_parties(imports) == [
        ("VNIMP001", AeoRole.IMPORTER), ("THTRADER0001", AeoRole.EXPORTER)]
    # Without the export it cites, the exporter an import names is not asked about.
    unproven = subject(type="IM", importer="VNIMP001", exporter="THTRADER0001")
    assert selectivity.aeo_parties(unproven) == [("VNIMP001", AeoRole.IMPORTER)]
    exports = subject(type="EX", importer="CNBUYER", exporter="VNEXP001", declarant="D1")
    assert selectivity.aeo_parties(exports) == [("VNEXP001", AeoRole.EXPORTER)]
    transit = subject(type="transit", holder="LAHOLDER01", carrier="THCARRIER1",
                      importer="LAHOLDER01")
    assert selectivity.aeo_parties(transit) == [
        ("LAHOLDER01", AeoRole.CONSIGNOR), ("THCARRIER1", AeoRole.CARRIER)]
    assert selectivity.aeo_parties(subject(type="transit", holder="LAHOLDER01")) == [
        ("LAHOLDER01", AeoRole.CONSIGNOR)]
    # None named: the declarant, in the role of the declaration's type.
    assert selectivity.aeo_parties(subject(type="EX", declarant="D1")) == [
        ("D1", AeoRole.EXPORTER)]
    assert selectivity.aeo_parties(subject(type="IM", declarant="D1")) == [
        ("D1", AeoRole.IMPORTER)]
    assert selectivity.aeo_parties(subject(type="IM")) == []


def importer_only(parties: Sequence[tuple[str, AeoRole]], on: date) -> AeoStanding | None:
    """A register that recognises THTRADER0001 as an importer only."""
    for party, role in parties:
        if party == "THTRADER0001" and role is AeoRole.IMPORTER:
            return AeoStanding(party, role, "the AEO programme of TH")
    return None


def test_the_register_decides_by_role(database: Database) -> None:
    wired = selectivity.configure(database, 0.02, seed=1, aeo=importer_only)
    as_exporter = subject(type="IM", importer="VNIMP001", exporter="THTRADER0001",
                          export_reference="TH26THBKK0000000017")
    as_importer = subject(type="IM", importer="THTRADER0001", exporter="CNSELLER")
    assert wired.decide(as_exporter, DAY).aeo is None
    recognised = wired.decide(as_importer, DAY)
    assert recognised.aeo is not None and recognised.aeo.role is AeoRole.IMPORTER
    assert any(r.startswith("AEO benefit: importer THTRADER0001, recognised under the AEO "
                            "programme of TH") for r in recognised.reasons)


def test_a_party_the_register_does_not_recognise_gets_no_benefit(database: Database) -> None:
    asked: list[tuple[list[tuple[str, AeoRole]], date]] = []

    def register(parties: Sequence[tuple[str, AeoRole]], on: date) -> AeoStanding | None:
        asked.append((list(parties), on))
        return None

    wired = selectivity.configure(database, 0.02, seed=1, aeo=register)
    selection = wired.decide(subject(type="IM", importer="VNIMP001"), DAY)
    assert selection.aeo is None and not any("AEO" in r for r in selection.reasons)
    assert asked == [([("VNIMP001", AeoRole.IMPORTER)], DAY)]  # once per consignment


def test_the_register_is_set_after_construction_and_its_random_share_applies(
    database: Database,
) -> None:
    """The node builds the AEO room after selectivity and sets the register then."""
    wired = selectivity.configure(database, 0.02, seed=5)
    selectivity.set_policy(
        database, SelectivityPolicy(random_share=0.5, aeo_random_share=0.01), "admin")
    consignment = subject(type="IM", importer="THTRADER0001")
    before = sum(wired.decide(consignment, DAY).random for _ in range(2000)) / 2000
    wired.aeo = importer_only
    after = sum(wired.decide(consignment, DAY).random for _ in range(2000)) / 2000
    assert abs(before - 0.5) < 0.05 and after < 0.03
    assert selectivity.get_policy(database).aeo_random_share == 0.01
