from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from singlewindow.core.ids import is_valid_reference
from singlewindow.declarations.errors import DeclarationConflict
from singlewindow.declarations.model import (
    TRANSITIONS,
    DeclarationType,
    Party,
    PreferenceClaim,
    Status,
    SupportingDocument,
    customs_values,
    declaration_number,
    validate,
)
from tests.builders import COFFEE, SMARTPHONES, import_declaration


def known(code: str) -> bool:
    return code in {"09011100", "85171300"}


def paths(declaration, country="VN"):
    return [p.path for p in validate(declaration, country, known)]


def test_a_complete_declaration_has_no_problem():
    assert paths(import_declaration()) == []


def test_every_problem_is_reported_with_its_path():
    bad_item = replace(COFFEE, commodity_code="99999999", quantity=Decimal("-1"),
                       origin_country="XX", quantity_unit="bags")
    declaration = import_declaration(
        invoice_currency="DOLLARS",
        export_country="ZZ",
        items=(COFFEE, bad_item),
        preference="ATIGA",
        proof_of_origin=None,
        transport_mode="6",
        incoterm="CIF",
    )
    found = paths(declaration)
    for expected in (
        "invoice_currency",
        "export_country",
        "transport_mode",
        "freight",  # CIF already includes freight; 850 declared
        "proof_of_origin",
        "items.1.commodity_code",
        "items.1.quantity",
        "items.1.origin_country",
        "items.1.quantity_unit",
    ):
        assert expected in found, expected
    assert not any(p.startswith("items.0") for p in found)


def test_unknown_and_malformed_codes_are_told_apart():
    problems = validate(
        import_declaration(items=(replace(COFFEE, commodity_code="0901"),
                                  replace(COFFEE, commodity_code="01011000", sequence=2))),
        "VN", known,
    )
    messages = {p.path: p.message for p in problems}
    assert "not an 8-digit code" in messages["items.0.commodity_code"]
    assert "not a line of the national tariff" in messages["items.1.commodity_code"]


def test_import_must_be_destined_to_this_node_and_name_the_importer():
    found = paths(import_declaration(destination_country="TH", importer=None))
    assert {"destination_country", "importer"} <= set(found)


def test_export_must_leave_this_country_and_name_the_exporter():
    export = import_declaration(type=DeclarationType.EXPORT, export_country="KH",
                                destination_country="TH")
    assert {"export_country", "exporter"} <= set(paths(export, "VN"))


def test_proof_without_claim_and_a_claim_without_its_proof_type_are_refused():
    assert "preference" in paths(import_declaration(proof_of_origin="FD-1"))
    assert "preference" in paths(import_declaration(proof_type="FORM-E"))
    # only ATIGA has a proof type by default (the e-Form D); which agreements exist is the
    # tariff's to say, at lodgement
    assert "proof_type" in paths(import_declaration(preference="RCEP", proof_of_origin="X"))
    assert "proof_type" not in paths(import_declaration(preference="ATIGA", proof_of_origin="X"))


def test_an_items_own_claim_and_documents_are_checked_where_they_stand():
    claim = PreferenceClaim("RCEP", "", " ")
    item = replace(COFFEE, preference=claim, documents=(SupportingDocument("PERMIT", ""),))
    found = paths(import_declaration(items=(item,)))
    assert {
        "items.0.preference.proof_type",
        "items.0.preference.proof_reference",
        "items.0.documents.0.reference",
    } <= set(found)
    assert "items.0.preference.agreement" not in found


def test_an_item_claims_its_own_preference_or_else_the_consignments():
    own = replace(COFFEE, preference=PreferenceClaim("RCEP", "RCEP-CO", "RC-1"))
    declaration = import_declaration(
        items=(COFFEE, replace(own, sequence=2)), preference="ATIGA", proof_of_origin="FD-1"
    )
    assert declaration.claim_of(declaration.items[0]) == PreferenceClaim(
        "ATIGA", "E-FORM-D", "FD-1"
    )
    assert declaration.claim_of(declaration.items[1]) == PreferenceClaim(
        "RCEP", "RCEP-CO", "RC-1"
    )
    assert import_declaration().claim_of(COFFEE) is None


def test_an_items_e_form_d_must_be_the_consignments():
    # the origin room verifies and answers one e-Form D per consignment
    item = replace(COFFEE, preference=PreferenceClaim("ATIGA", "E-FORM-D", "FD-2"))
    found = paths(import_declaration(items=(item,), preference="ATIGA", proof_of_origin="FD-1"))
    assert "items.0.preference.proof_reference" in found
    # another agreement's claim on an e-Form D is the tariff's to refuse (the wrong proof)
    rcep = replace(COFFEE, preference=PreferenceClaim("RCEP", "E-FORM-D", "FD-2"))
    found = paths(import_declaration(items=(rcep,), preference="ATIGA", proof_of_origin="FD-1"))
    assert "items.0.preference.proof_reference" not in found
    same = replace(COFFEE, preference=PreferenceClaim("ATIGA", "E-FORM-D", "FD-1"))
    found = paths(import_declaration(items=(same,), preference="ATIGA", proof_of_origin="FD-1"))
    assert "items.0.preference.proof_reference" not in found


def test_amounts_more_precise_than_the_currency_are_refused():
    item = replace(COFFEE, invoice_amount=Decimal("10.001"))
    assert "items.0.invoice_amount" in paths(import_declaration(items=(item,)))


def test_gross_mass_below_net_mass_is_refused():
    item = replace(COFFEE, gross_mass=Decimal("1"))
    assert "items.0.gross_mass" in paths(import_declaration(items=(item,)))


def test_party_problems_name_the_party():
    declarant = Party("", "", "QQ")
    found = paths(import_declaration(declarant=declarant))
    assert {"declarant.id", "declarant.name", "declarant.country"} <= set(found)


def test_customs_value_apportions_freight_and_insurance_by_invoice_amount():
    declaration = import_declaration(
        items=(replace(COFFEE, invoice_amount=Decimal("300.00")),
               replace(SMARTPHONES, invoice_amount=Decimal("100.00"))),
        freight=Decimal("40.00"), insurance=Decimal("4.00"), exchange_rate=Decimal("25000"),
    )
    first, second = customs_values(declaration, "VND")
    assert first.customs_value == Decimal("8325000")  # (300 + 30 + 3) × 25000
    assert second.customs_value == Decimal("2775000")  # (100 + 10 + 1) × 25000
    assert "× 25000" in first.formula


def test_customs_value_rounds_to_the_national_minor_unit():
    declaration = import_declaration(
        items=(replace(COFFEE, invoice_amount=Decimal("0.01")),),
        freight=Decimal(0), insurance=Decimal(0), exchange_rate=Decimal("4100.55"),
    )
    (line,) = customs_values(declaration, "KHR")
    assert line.customs_value == Decimal("41.01")


@pytest.mark.parametrize("status", list(Status))
def test_the_transition_table_refuses_what_it_does_not_list(status):
    for wanted in Status:
        if TRANSITIONS.allows(status, wanted):
            assert TRANSITIONS.move(status, wanted) is wanted
        else:
            with pytest.raises(DeclarationConflict):
                TRANSITIONS.move(status, wanted)


def test_final_states_lead_nowhere():
    for final in (Status.RELEASED, Status.CANCELLED, Status.SEIZED):
        assert TRANSITIONS.targets(final) == frozenset()


def test_declaration_number_carries_a_valid_check_character():
    number = declaration_number("VN", date(2026, 3, 1), "VNHCM01", 42)
    assert number.startswith("VN26VNHCM0")
    assert is_valid_reference(number)
    tampered = number[:-2] + ("3" if number[-2] != "3" else "4") + number[-1]
    assert not is_valid_reference(tampered)
