"""Builders of realistic test data: a valid declaration unless a test says otherwise."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from singlewindow.access.model import Principal, Role
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    GoodsItem,
    Party,
    SupportingDocument,
)

TRADER = Principal("trader", Role.TRADER, party_id="VNTRADER0001")
OTHER_TRADER = Principal("other", Role.TRADER, party_id="VNTRADER0002")
OFFICER = Principal("officer", Role.OFFICER, office="VNHCM01")
OTHER_OFFICER = Principal("officer2", Role.OFFICER, office="VNHAN01")
ADMIN = Principal("admin", Role.ADMIN)
BANK = Principal("bank", Role.BANK, party_id="VNSAMPLEBANK")

COFFEE = GoodsItem(
    sequence=1,
    commodity_code="09011100",
    description="Green robusta coffee beans, not roasted",
    origin_country="KH",
    quantity=Decimal("19200"),
    quantity_unit="kg",
    net_mass=Decimal("19200"),
    gross_mass=Decimal("19520"),
    invoice_amount=Decimal("42240.00"),
)

SMARTPHONES = GoodsItem(
    sequence=2,
    commodity_code="85171300",
    description="Smartphones, 128 GB",
    origin_country="CN",
    quantity=Decimal("500"),
    quantity_unit="u",
    net_mass=Decimal("110"),
    gross_mass=Decimal("150"),
    invoice_amount=Decimal("90000.00"),
)


def import_declaration(lrn: str = "LRN-0001", **changes: Any) -> Declaration:
    importer = Party("VNTRADER0001", "Saigon Coffee Importers JSC", "VN")
    declaration = Declaration(
        type=DeclarationType.IMPORT,
        lrn=lrn,
        declarant=importer,
        importer=importer,
        seller=Party("KHEXP0042", "Mondulkiri Coffee Co., Ltd.", "KH"),
        office="VNHCM01",
        export_country="KH",
        destination_country="VN",
        transport_mode="3",
        incoterm="FCA",
        invoice_currency="USD",
        exchange_rate=Decimal("25400"),
        freight=Decimal("850.00"),
        insurance=Decimal("120.00"),
        documents=(SupportingDocument("N380", "INV-1"),),
        items=(COFFEE,),
    )
    return replace(declaration, **changes)


def as_json(declaration: Declaration) -> dict[str, Any]:
    from singlewindow.declarations.repository import to_document

    return to_document(declaration)


def pay(clearance: Any, number: str, amount: Decimal | None = None, reference: str = "B-1") -> Any:
    """The sample bank confirms a payment against the declaration's open notice (all of it
    unless `amount` says otherwise)."""
    from singlewindow.declarations.settlement import Payments

    notice = clearance.get(number, ADMIN).payment_notice
    assert notice is not None, f"{number} has no open payment notice"
    return Payments(clearance).confirm(
        notice.reference, notice.amount if amount is None else amount, "VND", reference, BANK
    )
