"""Clearance through the tariff's measures, on Viet Nam's sample tariff (its schedule and its
sample measure file): claims under agreements other than ATIGA, prohibitions, licences,
anti-dumping duties on named producers, and the explanation naming each measure.

Hand-computed figures use the coffee of `tests.builders`: a customs value of 1,097,534,000
VND (42,240 USD + 850 freight + 120 insurance, at 25,400 VND).
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from singlewindow.declarations.errors import InvalidDeclaration
from singlewindow.declarations.model import PreferenceClaim, Status, SupportingDocument
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, InspectionOutcome
from singlewindow.risk.services import RuleDraft
from tests.builders import COFFEE, OFFICER, TRADER, import_declaration
from tests.declarations.test_services import stored

VALUE = Decimal("1097534000")
STEEL = replace(
    COFFEE,
    commodity_code="72082500",
    description="Hot-rolled steel coils, pickled, 5 mm",
    origin_country="CN",
)
CIGARETTES = replace(
    COFFEE,
    commodity_code="24022090",
    description="Cigarettes containing tobacco",
    origin_country="TH",
    quantity=Decimal("500"),
    quantity_unit="1000u",
    net_mass=Decimal("560"),
    gross_mass=Decimal("640"),
)


def refusal(clearance, declaration) -> dict[str, str]:
    with pytest.raises(InvalidDeclaration) as refused:
        clearance.lodge(declaration, TRADER)
    return {p.path: p.message for p in refused.value.problems}


def duties_of(view, item: int = 0) -> list[dict[str, str]]:
    return view.assessment["items"][item]["duties"]


def test_a_prohibited_import_is_refused_with_its_reason_and_nothing_is_stored(
    clearance, database
):
    fireworks = replace(COFFEE, commodity_code="36041000", description="Fireworks")
    problems = refusal(clearance, import_declaration(items=(fireworks,)))
    assert "prohibited" in problems["items.0"]
    assert "VN-PROHIBITION-3604" in problems["items.0"]
    assert stored(database) == 0


def test_a_licensed_import_needs_its_licence_on_the_item_or_the_declaration(clearance):
    without = import_declaration("LRN-CIG-1", items=(CIGARETTES,))
    problems = refusal(clearance, without)
    assert "import licence" in problems["items.0.documents"]
    licence = SupportingDocument("IMPORT-LICENCE", "MOIT-TL-2026-001")
    on_item = replace(CIGARETTES, documents=(licence,))
    assert clearance.lodge(replace(without, items=(on_item,)), TRADER).status is Status.CHANNELLED
    on_declaration = replace(without, lrn="LRN-CIG-2", documents=(*without.documents, licence))
    assert clearance.lodge(on_declaration, TRADER).status is Status.CHANNELLED
    # a reference is what makes a document: an empty one is refused where it stands
    empty = replace(CIGARETTES, documents=(SupportingDocument("IMPORT-LICENCE", " "),))
    assert "items.0.documents.0.reference" in refusal(
        clearance, replace(without, lrn="LRN-CIG-3", items=(empty,))
    )


def test_a_claim_the_origin_cannot_make_is_refused_at_its_item(clearance, database):
    american = replace(
        COFFEE, origin_country="US", preference=PreferenceClaim("RCEP", "RCEP-CO", "RC-1")
    )
    problems = refusal(clearance, import_declaration(items=(american,)))
    assert "US is not party to" in problems["items.0.preference"]
    unknown = replace(COFFEE, preference=PreferenceClaim("GSP", "FORM-A", "A-1"))
    assert "not an agreement" in refusal(clearance, import_declaration(items=(unknown,)))[
        "items.0.preference"
    ]
    assert stored(database) == 0


def test_a_claim_with_another_agreements_proof_is_refused(clearance):
    form_e = replace(
        COFFEE, origin_country="CN", preference=PreferenceClaim("RCEP", "FORM-E", "E-1")
    )
    problems = refusal(clearance, import_declaration(items=(form_e,)))
    assert "RCEP certificate of origin" in problems["items.0.preference"]


def test_an_rcep_claim_waits_for_the_documentary_check_then_its_rate_is_due(clearance):
    chinese = replace(
        COFFEE, origin_country="CN", preference=PreferenceClaim("RCEP", "RCEP-CO", "RC-9")
    )
    view = clearance.lodge(import_declaration(items=(chinese,)), TRADER)
    # recorded by reference, not verified electronically: the MFN rate (15 %) until then
    assert view.preference_pending
    assert "pending" in view.assessment["preference"][0]
    [duty, vat] = duties_of(view)
    assert Decimal(duty["amount"]) == VALUE * Decimal("0.15")
    assert "MFN" in duty["measure"]
    checked = clearance.record_inspection(view.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    [duty, vat] = duties_of(checked)
    # VN's sample RCEP rate on 0901.11.00 is 7.5 % since 2025 (10 % before)
    assert Decimal(duty["amount"]) == VALUE * Decimal("0.075")
    assert duty["preferential"] is True
    assert "VN-RCEP-09011100-2025" in duty["measure"]
    assert Decimal(vat["amount"]) == (VALUE + VALUE * Decimal("0.075")) * Decimal("0.10")
    assert "RC-9" in checked.assessment["preference"][0]


def test_an_anti_dumping_duty_needs_the_producers_code_and_adds_to_the_vat_base(clearance):
    problems = refusal(clearance, import_declaration(items=(STEEL,)))
    assert "C001, C002, C999" in problems["items.0.additional_code"]
    wrong = replace(STEEL, additional_code="C777")
    assert refusal(clearance, import_declaration(items=(wrong,)))[
        "items.0.additional_code"
    ].startswith("C777 is not one")
    view = clearance.lodge(
        import_declaration(items=(replace(STEEL, additional_code="C002"),)), TRADER
    )
    [duty, anti_dumping, vat] = duties_of(view)
    mfn = VALUE * Decimal("0.03")
    dumping = VALUE * Decimal("0.255")
    assert Decimal(duty["amount"]) == mfn
    assert (anti_dumping["tax"], Decimal(anti_dumping["amount"])) == ("additional_duty", dumping)
    assert "VN-AD-720825-C002" in anti_dumping["measure"]
    assert Decimal(vat["base"]) == VALUE + mfn + dumping
    assert "additional duties" in vat["measure"]
    # the same steel from Korea owes no anti-dumping duty, and needs no producer code
    korean = replace(STEEL, origin_country="KR")
    [duty, vat] = duties_of(clearance.lodge(import_declaration("LRN-KR", items=(korean,)), TRADER))
    assert Decimal(vat["base"]) == VALUE + mfn


def test_a_consignment_claim_covers_the_items_whose_origin_is_party(clearance):
    chinese = replace(COFFEE, sequence=2, origin_country="CN")
    view = clearance.lodge(
        import_declaration(items=(COFFEE, chinese), preference="ATIGA", proof_of_origin="FD-1"),
        TRADER,
    )
    notes = view.assessment["preference"]
    assert any(n.startswith("item 1: pending") for n in notes)
    assert any(n.startswith("item 2: refused") and "CN is not party" in n for n in notes)


def test_risk_profiles_may_watch_the_claimed_agreement_and_the_declared_producer(
    clearance, database
):
    # a producer whose low anti-dumping rate others are suspected of borrowing
    selectivity.create_rule(
        database,
        RuleDraft(
            "steel declared as C001",
            [{"field": "additional_code", "operator": "eq", "value": "C001"}],
            Channel.RED,
            date(2026, 1, 1),
        ),
        "officer",
    )
    watched = clearance.lodge(
        import_declaration(items=(replace(STEEL, additional_code="C001"),)), TRADER
    )
    assert watched.channel is Channel.RED
    assert any("steel declared as C001" in reason for reason in watched.selection["reasons"])
    other = clearance.lodge(
        import_declaration("LRN-C2", items=(replace(STEEL, additional_code="C002"),)), TRADER
    )
    assert other.channel is not Channel.RED
