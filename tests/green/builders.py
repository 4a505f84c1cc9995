"""Builders of waste shipments: a plastic waste import into Viet Nam from Cambodia, and the
consent Viet Nam's competent authority gave it, valid unless a test says otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from singlewindow.declarations.model import Declaration, GoodsItem, Party
from singlewindow.green.model import Consent
from tests.builders import import_declaration

EXPORTER = Party("KHRECYCLE01", "Phnom Penh Plastics Recovery Co.", "KH")
ON = date(2026, 12, 7)

PLASTIC_WASTE = GoodsItem(
    sequence=1,
    commodity_code="39159000",
    description="Mixed plastic waste, baled, for recycling",
    origin_country="KH",
    quantity=Decimal("6000"),
    quantity_unit="kg",
    net_mass=Decimal("6000"),
    gross_mass=Decimal("6100"),
    invoice_amount=Decimal("900.00"),
    basel_code="Y48",
    waste_consent="VN-2026-0042",
)


def waste_import(lrn: str = "LRN-WASTE-1", kg: str | None = None, **item: Any) -> Declaration:
    goods = replace(PLASTIC_WASTE, **item)
    if kg is not None:
        goods = replace(goods, quantity=Decimal(kg), net_mass=Decimal(kg),
                        gross_mass=Decimal(kg) + 100)
    return replace(import_declaration(lrn), exporter=EXPORTER, items=(goods,))


def consent(**changes: Any) -> Consent:
    given = Consent(
        reference="VN-2026-0042",
        importing_country="VN",
        exporter=EXPORTER.id,
        importer="VNTRADER0001",
        basel_code="Y48",
        hs_code="391590",
        quantity=Decimal("10000"),
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        exporter_name=EXPORTER.name,
        importer_name="Saigon Coffee Importers JSC",
    )
    return replace(given, **changes)
