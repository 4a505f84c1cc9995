"""The rules of an e-Form D: criteria, validation, the payload and verification."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from singlewindow.declarations.model import Party as DeclarationParty
from singlewindow.origin.errors import CertificateConflict
from singlewindow.origin.model import (
    TRANSITIONS,
    Answer,
    Certificate,
    CertificateStatus,
    CriterionKind,
    OriginCriterion,
    Party,
    add_months,
    declaration_key,
    from_payload,
    overall,
    to_payload,
    validate,
    verify,
)
from tests.builders import COFFEE, SMARTPHONES, import_declaration

from .conftest import COFFEE_LINE, form_d

ON = date(2026, 3, 10)


def claim(**changes):  # type: ignore[no-untyped-def]
    return import_declaration(preference="ATIGA", proof_of_origin="KH-2026-000123", **changes)


def received(**changes):  # type: ignore[no-untyped-def]
    return form_d(status=CertificateStatus.RECEIVED, **changes)


# --- origin criteria ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "percent", "shown"),
    [
        ("WO", CriterionKind.WO, None, "WO"),
        ("cth", CriterionKind.CTH, None, "CTH"),
        ("RVC 40%", CriterionKind.RVC, Decimal(40), "RVC 40%"),
        ("RVC45.5%", CriterionKind.RVC, Decimal("45.5"), "RVC 45.5%"),
        (" PE ", CriterionKind.PE, None, "PE"),
    ],
)
def test_criteria_are_parsed_and_shown(text, kind, percent, shown) -> None:  # type: ignore[no-untyped-def]
    criterion = OriginCriterion.parse(text)
    assert (criterion.kind, criterion.percentage, str(criterion)) == (kind, percent, shown)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RVC 35%", "below the ATIGA minimum of 40%"),
        ("RVC", "states its percentage"),
        ("RVC 140%", "above 100%"),
        ("XYZ", "not an ATIGA origin criterion"),
        ("WO 40%", "only RVC states a percentage"),
        ("", "not an origin criterion"),
    ],
)
def test_bad_criteria_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OriginCriterion.parse(text)


# --- validation -----------------------------------------------------------------------------


def test_a_complete_certificate_is_valid() -> None:
    assert validate(form_d()) == []


def test_every_problem_comes_with_its_path() -> None:
    bad_line = replace(
        COFFEE_LINE, subheading="0901", quantity=Decimal(-1), gross_mass=Decimal(0),
        fob_value=Decimal(-5), currency="XXQ", quantity_unit="bags", invoice_number=" ",
    )
    certificate = form_d(
        reference="",
        importing_country="KH",
        exporter=Party("", "", "ZZ"),
        items=(bad_line,),
    )
    paths = {p.path for p in validate(certificate)}
    assert paths >= {
        "reference", "importing_country", "exporter.id", "exporter.name", "exporter.country",
        "items.0.subheading", "items.0.quantity", "items.0.gross_mass", "items.0.fob_value",
        "items.0.currency", "items.0.quantity_unit", "items.0.invoice_number",
    }


def test_countries_must_be_asean_member_states_and_items_present() -> None:
    problems = validate(form_d(importing_country="CN", items=()))
    messages = {p.path: p.message for p in problems}
    assert "not an ASEAN member state" in messages["importing_country"]
    assert messages["items"] == "a certificate covers at least one goods item"
    assert "ISO 3166" in {p.path: p.message for p in validate(form_d(issuing_country="Q1"))}[
        "issuing_country"
    ]


def test_status_transitions_follow_the_table() -> None:
    assert TRANSITIONS.move(CertificateStatus.ISSUED, CertificateStatus.SENT)
    assert TRANSITIONS.move(CertificateStatus.RECEIVED, CertificateStatus.REJECTED)
    with pytest.raises(CertificateConflict, match="rejected: it cannot become accepted"):
        TRANSITIONS.move(CertificateStatus.REJECTED, CertificateStatus.ACCEPTED)


# --- the payload ----------------------------------------------------------------------------


def test_the_payload_round_trips() -> None:
    certificate = form_d(items=(replace(COFFEE_LINE, origin_criterion=OriginCriterion.parse(
        "RVC 40%")),))
    payload = to_payload(certificate)
    assert payload["GoodsItem"][0]["ClassificationCode"] == "090111"
    assert payload["GoodsItem"][0]["OriginCriterion"] == "RVC 40%"
    assert payload["Exporter"]["ID"] == "KHEXP0042"
    back, problems = from_payload(payload)
    assert problems == []
    assert back == replace(certificate, status=CertificateStatus.RECEIVED)


def test_an_unreadable_payload_lists_every_problem() -> None:
    payload = to_payload(form_d())
    payload["GoodsItem"][0]["Quantity"] = "lots"
    payload["GoodsItem"][0]["OriginCriterion"] = "RVC 30%"
    del payload["Consignee"]
    certificate, problems = from_payload(payload)
    assert certificate is None
    assert {p.path for p in problems} == {
        "GoodsItem.0.Quantity", "GoodsItem.0.OriginCriterion", "Consignee",
    }
    assert from_payload(["not", "an", "object"])[0] is None


def test_answers_round_trip() -> None:
    answer = Answer("KH-1", "KH", False, ("quantity above",), datetime(2026, 3, 10, tzinfo=UTC))
    assert Answer.from_payload(answer.to_payload()) == answer
    with pytest.raises(ValueError, match="Decision"):
        Answer.from_payload({"Reference": "KH-1", "IssuingCountry": "KH", "Decision": "MAYBE"})


# --- verification ---------------------------------------------------------------------------


def test_a_matching_certificate_grants_the_preference() -> None:
    verdict = verify(received(), claim(), COFFEE, ON)
    assert verdict.granted and verdict.reasons == ()
    assert "0901.11" in verdict.detail and "WO" in verdict.detail


@pytest.mark.parametrize(
    ("certificate", "declaration", "item", "reason"),
    [
        (form_d(status=CertificateStatus.REJECTED), claim(), COFFEE, "is rejected"),
        (received(importing_country="TH"), claim(), COFFEE, "for import into TH, not VN"),
        (received(), claim(export_country="LA"), COFFEE,
         "issued in KH, but the goods are exported from LA"),
        (received(consignee=Party("VNOTHER", "Other", "VN")), claim(), COFFEE,
         "consignee on e-Form D KH-2026-000123 is VNOTHER (Other), not the importer VNTRADER0001"),
        (received(), claim(exporter=DeclarationParty("KHOTHER", "Other", "KH")), COFFEE,
         "not the declared exporter KHOTHER"),
        (received(), claim(), SMARTPHONES, "covers no goods of subheading 8517.13"),
        (received(), claim(), replace(COFFEE, origin_country="LA"),
         "declared as originating in LA; e-Form D KH-2026-000123 certifies origin KH"),
        (received(), claim(), replace(COFFEE, quantity=Decimal("20000")),
         "declares 20000 kg, more than the 19200 kg"),
        (received(), claim(), replace(COFFEE, quantity_unit="t", quantity=Decimal(19)),
         "declared in t; e-Form D KH-2026-000123 states its quantity in kg"),
    ],
)
def test_each_failed_check_gives_its_reason(certificate, declaration, item, reason) -> None:  # type: ignore[no-untyped-def]
    verdict = verify(certificate, declaration, item, ON)
    assert not verdict.granted
    assert any(reason in r for r in verdict.reasons), verdict.reasons


def test_no_importer_means_no_consignee_match() -> None:
    verdict = verify(received(), claim(importer=None), COFFEE, ON)
    assert "names no importer" in verdict.detail


def test_validity_is_twelve_months_from_issue() -> None:
    certificate = received()  # issued 2 March 2026
    assert verify(certificate, claim(), COFFEE, date(2027, 3, 2)).granted
    late = verify(certificate, claim(), COFFEE, date(2027, 3, 3))
    assert late.reasons == (
        "e-Form D KH-2026-000123 expired on 2027-03-02 (valid 12 months from its issue on "
        "2026-03-02)",
    )
    early = verify(certificate, claim(), COFFEE, date(2026, 3, 1))
    assert "issued on 2026-03-02, after 2026-03-01" in early.detail
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_a_certificate_accepted_for_one_declaration_does_not_serve_another() -> None:
    first = claim()
    assert verify(received(), first, COFFEE, ON, accepted_for=declaration_key(first)).granted
    other = verify(received(), claim(lrn="LRN-9"), COFFEE, ON, accepted_for=declaration_key(first))
    assert "already accepted for declaration VNTRADER0001/LRN-0001" in other.detail


def test_quantities_of_lines_of_the_same_subheading_add_up() -> None:
    second = replace(COFFEE_LINE, number=2, quantity=Decimal(1000))
    item = replace(COFFEE, quantity=Decimal(20200))
    assert verify(received(items=(COFFEE_LINE, second)), claim(), item, ON).granted


def test_overall_accepts_when_one_item_is_covered() -> None:
    granted = verify(received(), claim(), COFFEE, ON)
    refused = verify(received(), claim(), SMARTPHONES, ON)
    assert overall({1: granted, 2: refused})[0] is True
    accepted, reasons = overall({2: refused})
    assert accepted is False and reasons == list(refused.reasons)


def test_the_documented_examples_are_read_as_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "origin.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    [example] = [b for b in blocks if b.get("DocumentType") == "ATIGA Form D"]
    certificate, problems = from_payload(example)
    assert problems == [] and certificate is not None
    assert to_payload(certificate) == example
    [answer] = [b for b in blocks if "Decision" in b and "$schema" not in b]
    assert Answer.from_payload(answer).accepted is False


def test_a_certificate_is_sent_then_answered_once_per_message() -> None:
    at = datetime(2026, 3, 10, tzinfo=UTC)
    issued = Certificate("KH-1", CertificateStatus.ISSUED)
    issued.send()
    assert issued.status is CertificateStatus.SENT
    assert issued.record_answer(False, ("no",), at, "a-1")
    assert not issued.record_answer(False, ("no",), at, "a-1")  # the same message again
    assert (issued.status, issued.reasons, issued.decided_at) == (
        CertificateStatus.REJECTED, ("no",), at
    )
    with pytest.raises(CertificateConflict, match="e-Form D KH-1 is rejected"):
        issued.record_answer(True, (), at, "a-2")


def test_a_received_certificate_is_answered_with_one_decision() -> None:
    at = datetime(2026, 3, 10, tzinfo=UTC)
    received = Certificate("KH-2", CertificateStatus.RECEIVED)
    assert received.previous_answer(True) is None
    received.accept((), at)
    received.answered_by("m-1")
    assert received.previous_answer(True) == "m-1"
    with pytest.raises(CertificateConflict, match="already answered: it is accepted"):
        received.previous_answer(False)
    with pytest.raises(CertificateConflict):
        Certificate("KH-3", CertificateStatus.REJECTED).accept((), at)
