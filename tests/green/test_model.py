"""The Basel rules, the consent's arithmetic and the country rules, without a database."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from singlewindow.declarations.model import DeclarationType
from singlewindow.green.errors import ConsentConflict, InvalidConsent, InvalidRule
from singlewindow.green.model import (
    BASEL,
    WASTE_HEADINGS,
    WASTE_SUBHEADINGS,
    CountryRule,
    Direction,
    Requirement,
    RuleKind,
    check_declaration,
    consent_problems,
    is_waste,
    kilograms,
    rule_problems,
)
from tests.builders import import_declaration
from tests.green.builders import ON, consent, waste_import


def check(declaration, consents=(), rules=(), on=ON):
    return check_declaration(declaration, "VN", {c.reference: c for c in consents},
                             list(rules), on)


def messages(declaration, consents=(), rules=(), on=ON):
    return [p.message for p in check(declaration, consents, rules, on)[0]]


def test_every_waste_heading_is_a_heading_of_the_packaged_hs_2022_about_waste():
    import csv
    from importlib import resources

    path = resources.files("singlewindow.tariff") / "data" / "harmonized-system.csv"
    with path.open(encoding="utf-8-sig") as file:
        hs = {row["hscode"]: row["description"].lower() for row in csv.DictReader(file)}
    for heading in WASTE_HEADINGS:
        assert heading in hs, heading
        text = hs[heading]
        assert any(w in text for w in ("waste", "scrap", "slag", "residu", "rags", "cullet")), (
            heading, text)
    for subheading in WASTE_SUBHEADINGS:
        assert subheading in hs and "waste" in hs[subheading], subheading
    # HS 2022 moved electrical waste out of 85.48 into the new 85.49
    assert "8548" not in WASTE_HEADINGS and "waste" not in hs["8548"].lower()


def test_waste_codes_are_known_by_heading_or_subheading():
    assert is_waste("39159000") and is_waste("85499100") and is_waste("72044900")
    assert is_waste("81019700")  # tungsten waste, in a heading of articles
    assert not is_waste("81011000") and not is_waste("39011000") and not is_waste("09011100")


def test_what_each_basel_entry_requires():
    assert BASEL["A3210"].requirement is Requirement.CONSENT
    assert BASEL["Y48"].requirement is Requirement.CONSENT
    assert BASEL["A1181"].requirement is Requirement.CONSENT
    assert BASEL["B3011"].requirement is Requirement.ATTESTATION
    # the e-waste amendments of BC-15/18: A1180 and B1110 no longer apply from 2025
    assert not BASEL["A1180"].in_force(date(2025, 1, 1))
    assert BASEL["Y49"].in_force(date(2025, 1, 1)) and not BASEL["Y49"].in_force(
        date(2024, 12, 31))


def test_a_waste_code_without_a_basel_code_is_refused():
    assert messages(waste_import(basel_code=None, waste_consent=None)) == [
        "item 1: HS 391590 is waste: a Basel code is needed"]


def test_a_goods_code_that_is_not_waste_passes_untouched():
    problems, uses = check(import_declaration())
    assert problems == [] and uses == []


def test_basel_data_on_goods_that_are_not_waste_is_refused():
    coffee = import_declaration().items[0]
    declaration = import_declaration(items=(replace(coffee, basel_code="Y48"),))
    assert messages(declaration) == [
        "item 1: HS 090111 is not waste: Basel data does not belong on it"]


def test_a_basel_code_for_other_goods_is_refused():
    found = messages(waste_import(commodity_code="72044900", waste_consent=None))
    assert any("Y48" in m and "is not declared under HS 7204.49" in m for m in found)


def test_a_consent_code_needs_its_notification_reference():
    assert messages(waste_import(waste_consent=None)) == [
        "item 1: Y48 needs the prior informed consent of the importing country: give its"
        " notification reference"]


def test_an_unknown_consent_is_refused():
    assert messages(waste_import()) == [
        "item 1: no consent VN-2026-0042 was recorded by VN's competent authority"]


def test_a_consent_covering_the_shipment_passes_and_says_what_it_takes():
    problems, uses = check(waste_import(), [consent()])
    assert problems == []
    assert [(u.consent, u.item, u.kg) for u in uses] == [("VN-2026-0042", 1, Decimal(6000))]


def test_an_expired_consent_and_one_not_yet_valid():
    assert messages(waste_import(), [consent(valid_to=date(2026, 11, 30))]) == [
        "item 1: consent VN-2026-0042 expired on 2026-11-30"]
    assert messages(waste_import(), [consent(valid_from=date(2027, 1, 1),
                                             valid_to=date(2027, 6, 30))]) == [
        "item 1: consent VN-2026-0042 is valid from 2027-01-01"]


def test_a_consent_for_other_parties_is_refused():
    assert messages(waste_import(), [consent(exporter="KHOTHER0001")]) == [
        "item 1: consent VN-2026-0042 is for other parties (exporter KHOTHER0001, importer"
        " VNTRADER0001)"]


def test_a_consent_for_another_basel_code_or_hs_code_is_refused():
    found = messages(waste_import(), [consent(basel_code="A3210", hs_code="391510")])
    assert "item 1: consent VN-2026-0042 is for Basel code A3210, not Y48" in found
    assert "item 1: consent VN-2026-0042 is for HS 391510, not 391590" in found


def test_exactly_the_remaining_quantity_passes_and_one_kg_more_is_refused():
    used = consent(used=Decimal(4000))
    assert messages(waste_import(kg="6000"), [used]) == []
    assert messages(waste_import(kg="6001"), [used]) == [
        "item 1: consent VN-2026-0042 is used up: 6,000 kg left, 6,001 kg declared"]
    assert messages(waste_import(kg="6000"), [consent(used=Decimal(6000))]) == [
        "item 1: consent VN-2026-0042 is used up: 4,000 kg left, 6,000 kg declared"]


def test_two_items_of_one_declaration_count_against_the_same_consent():
    declaration = waste_import(kg="6000")
    second = replace(declaration.items[0], sequence=2)
    both = replace(declaration, items=(declaration.items[0], second))
    assert messages(both, [consent()]) == [
        "item 2: consent VN-2026-0042 is used up: 4,000 kg left, 6,000 kg declared"]


def test_a_revoked_consent_is_refused():
    assert messages(waste_import(), [consent(revoked=True)]) == [
        "item 1: consent VN-2026-0042 was revoked"]


def test_the_arithmetic_never_goes_over_the_quantity():
    given = consent()
    after = given.use(Decimal(10000))
    assert after.remaining == 0
    with pytest.raises(ConsentConflict, match="used up: 0 kg left, 0.001 kg declared"):
        after.use(Decimal("0.001"))
    assert after.give_back(Decimal(4000)).remaining == 4000
    with pytest.raises(ConsentConflict):
        given.give_back(Decimal(1))
    assert kilograms(Decimal("4000")) == "4,000" and kilograms(Decimal("12.500")) == "12.5"


def test_clean_sorted_plastic_needs_the_attestation_and_the_contamination_share():
    b3011 = waste_import(basel_code="B3011", waste_consent=None)
    assert messages(b3011) == [
        "item 1: B3011 needs the exporter's attestation (sorted, clean, for environmentally"
        " sound recycling)",
        "item 1: B3011 needs the contamination share declared"]
    attested = waste_import(basel_code="B3011", waste_consent=None,
                            recycling_attestation="ATT-2026-17",
                            contamination_share=Decimal("0.004"))
    assert check(attested) == ([], [])


def test_a_ban_names_its_rule_and_its_date():
    ban = CountryRule("sample-y48-ban", RuleKind.BAN, date(2026, 1, 1), basel_code="Y48",
                      sample=True)
    assert messages(waste_import(), [consent()], [ban]) == [
        "item 1: banned in VN from 2026-01-01: Y48 imports (rule sample-y48-ban, a sample)"]
    # not yet in force, for exports only, or for another origin: it does not apply
    assert messages(waste_import(), [consent()], [replace(ban, valid_from=date(2027, 1, 1))]) == []
    assert messages(waste_import(), [consent()], [replace(ban, direction=Direction.EXPORT)]) == []
    assert messages(waste_import(), [consent()], [replace(ban, origin="TH")]) == []
    by_hs = CountryRule("hs-3915-ban", RuleKind.BAN, date(2026, 1, 1), hs_prefix="3915")
    assert messages(waste_import(), [consent()], [by_hs]) == [
        "item 1: banned in VN from 2026-01-01: HS 3915 imports (rule hs-3915-ban)"]


def test_a_minimum_standard_on_contamination():
    rule = CountryRule("b3011-half-percent", RuleKind.MAX_CONTAMINATION, date(2026, 1, 1),
                       basel_code="B3011", max_share=Decimal("0.005"))
    shipment = waste_import(basel_code="B3011", waste_consent=None,
                            recycling_attestation="attested",
                            contamination_share=Decimal("0.005"))
    assert messages(shipment, rules=[rule]) == []
    dirty = replace(shipment, items=(replace(shipment.items[0],
                                             contamination_share=Decimal("0.02")),))
    assert messages(dirty, rules=[rule]) == [
        "item 1: contamination 2 % is over VN's 0.5 % for B3011 imports (rule"
        " b3011-half-percent)"]


def test_an_export_needs_the_basel_data_but_its_consent_was_given_abroad():
    export = replace(waste_import(), type=DeclarationType.EXPORT)
    assert check(export) == ([], [])
    assert len(messages(replace(waste_import(waste_consent=None),
                                type=DeclarationType.EXPORT))) == 1


def test_a_consent_with_bad_data_is_refused_with_every_reason():
    with pytest.raises(InvalidConsent) as refused:
        consent_problems(consent(reference="42", importing_country="TH", basel_code="B3011",
                                 quantity=Decimal(0), valid_to=date(2025, 1, 1)), "VN")
    paths = {p.path for p in refused.value.problems}
    assert paths == {"reference", "importing_country", "basel_code", "quantity", "valid_to"}
    with pytest.raises(InvalidConsent, match="hs_code"):
        consent_problems(consent(hs_code="090111"), "VN")
    consent_problems(consent(), "VN")


def test_a_rule_with_bad_data_is_refused():
    with pytest.raises(InvalidRule) as refused:
        rule_problems(CountryRule("Bad Id", RuleKind.MAX_CONTAMINATION, date(2026, 1, 1),
                                  basel_code="Z1", origin="XX", max_share=Decimal(2),
                                  valid_to=date(2025, 1, 1)))
    assert {p.path for p in refused.value.problems} == {
        "id", "basel_code", "origin", "max_share", "valid_to"}
