"""The ACDD: export data becomes a pre-arrival record at destination and a cross-check of the
import declaration that cites it."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from singlewindow.core.events import EventBus
from singlewindow.declarations.errors import InvalidDeclaration
from singlewindow.declarations.events import DeclarationLodged
from singlewindow.declarations.model import DeclarationType, Party
from singlewindow.declarations.prearrival import (
    PreArrival,
    acdd_document,
    cross_check,
    parse_acdd,
)
from singlewindow.declarations.services import Clearance
from singlewindow.exchange.model import UserMessage
from singlewindow.risk.model import Channel
from tests.builders import COFFEE, TRADER, import_declaration

EXPORTER = Party("KHEXP0042", "Mondulkiri Coffee Co., Ltd.", "KH")
IMPORTER = Party("VNTRADER0001", "Saigon Coffee Importers JSC", "VN")


def export_of(declaration):
    return replace(declaration, type=DeclarationType.EXPORT, exporter=EXPORTER,
                   declarant=EXPORTER, importer=None, buyer=IMPORTER, office="KHPNH01")


def acdd_for(declaration, number="KH26KHPNH0000000017"):
    return acdd_document(number, export_of(declaration), datetime(2026, 11, 2, tzinfo=UTC))


def test_the_acdd_round_trips_with_wco_names():
    document = acdd_for(import_declaration())
    assert document["Exporter"]["ID"] == "KHEXP0042"
    assert document["Consignee"]["ID"] == "VNTRADER0001"
    assert document["GoodsItems"][0]["ClassificationCode"] == "090111"
    acdd = parse_acdd(orjson.loads(orjson.dumps(document)))
    assert acdd.items[0].quantity == COFFEE.quantity


def test_a_malformed_acdd_is_refused_with_every_problem():
    with pytest.raises(InvalidDeclaration) as raised:
        parse_acdd({"ExportCountryCode": "ZZ", "GoodsItems": [{"Quantity": "lots"}]})
    paths = {p.path for p in raised.value.problems}
    assert {"ExportDeclarationNumber", "ExportCountryCode", "GoodsItems.0.Quantity",
            "GoodsItems.0.ClassificationCode", "Exporter.ID"} <= paths


def test_a_matching_import_has_no_mismatch():
    declaration = import_declaration(export_reference="KH26KHPNH0000000017")
    assert cross_check(parse_acdd(acdd_for(declaration)), declaration) == []


def test_every_mismatch_is_a_reason():
    acdd = parse_acdd(acdd_for(import_declaration()))
    halved = replace(COFFEE, quantity=Decimal(9600), net_mass=Decimal(9600),
                     invoice_amount=Decimal("21120.00"), origin_country="LA")
    declaration = import_declaration(items=(halved,),
                                     seller=Party("OTHER1", "Someone else", "KH"))
    reasons = cross_check(acdd, declaration)
    text = " | ".join(reasons)
    for expected in ("not the seller", "quantity 9600", "net mass 9600", "value 21120.00",
                     "origin LA", "invoice amount"):
        assert expected in text, expected


def test_goods_missing_on_either_side_are_reasons():
    acdd = parse_acdd(acdd_for(import_declaration()))
    phones = replace(COFFEE, commodity_code="85171300")
    reasons = cross_check(acdd, import_declaration(items=(phones,)))
    assert any("851713 does not appear" in r for r in reasons)
    assert any("090111 are not declared" in r for r in reasons)


def message(document, message_id="m-1@KH-CUSTOMS"):
    return UserMessage(message_id, datetime.now(UTC), "KH-CUSTOMS", "VN-CUSTOMS",
                       "urn:asw:pre-arrival", "ACDD", "conv-1", None, orjson.dumps(document))


def test_a_received_acdd_is_scored_before_arrival_and_checks_the_import(clearance, database):
    records = PreArrival(database, "VN")
    bus = EventBus()
    bus.subscribe(DeclarationLodged, records.on_lodged)
    clearance = Clearance(database, "VN", cross_check=records.check_import, bus=bus)
    with database.unit_of_work() as session:
        records.receive(session, message(acdd_for(import_declaration())))
        records.receive(session, message(acdd_for(import_declaration()), "m-2@KH-CUSTOMS"))
    stored, total = records.records()
    assert total == 1 and stored[0].reasons and stored[0].channel == "green"
    matching = clearance.lodge(
        import_declaration("LRN-OK", export_reference="KH26KHPNH0000000017"), TRADER)
    assert matching.channel is Channel.GREEN
    assert records.get("KH", "KH26KHPNH0000000017").import_number == matching.number
    more = replace(COFFEE, quantity=Decimal(30000), net_mass=Decimal(30000),
                   gross_mass=Decimal(30500))
    mismatched = clearance.lodge(
        import_declaration("LRN-BAD", export_reference="KH26KHPNH0000000017", items=(more,)),
        TRADER)
    assert mismatched.channel is Channel.YELLOW
    assert any("quantity 30000" in r for r in mismatched.selection["reasons"])


def test_an_import_citing_an_unknown_export_is_checked(clearance, database):
    records = PreArrival(database, "VN")
    clearance = Clearance(database, "VN", cross_check=records.check_import)
    view = clearance.lodge(import_declaration(export_reference="KH26NOPE"), TRADER)
    assert view.channel is Channel.YELLOW
    assert any("no ACDD received" in r for r in view.selection["reasons"])


def test_an_acdd_for_another_country_is_refused(database):
    document = acdd_for(import_declaration()) | {"DestinationCountryCode": "TH"}
    with pytest.raises(InvalidDeclaration), database.unit_of_work() as session:
        PreArrival(database, "VN").receive(session, message(document))
