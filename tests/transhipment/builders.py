"""A consignment of Chinese steel through Port Klang, as the tests of the room record it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from singlewindow.transhipment.model import (
    Arrival,
    ArrivedGoods,
    DepartingGoods,
    Departure,
    TransportDocument,
)

ARRIVED_ON = date(2026, 11, 20)


def arrival(document: str = "COSU6300012345", origin: str = "CN", **changes: Any) -> Arrival:
    values: dict[str, Any] = {
        "port": "MYPKG", "document_type": TransportDocument.BILL_OF_LADING,
        "transport_document": document, "from_port": "CNSHA", "carrier": "COSCO Shipping",
        "arrived_on": ARRIVED_ON,
        "goods": (ArrivedGoods(1, "72082500", "Hot-rolled steel coils", Decimal("250000"),
                               "kg", origin, 20),),
    }
    values.update(changes)
    return Arrival(**values)


def departure(document: str = "MSKU7788990011", arrival_document: str = "COSU6300012345",
              quantity: str = "250000", **changes: Any) -> Departure:
    values: dict[str, Any] = {
        "port": "MYPKG", "arrival_document": arrival_document,
        "document_type": TransportDocument.BILL_OF_LADING, "transport_document": document,
        "to_port": "VNSGN", "carrier": "Maersk", "departed_on": date(2026, 11, 23),
        "goods": (DepartingGoods(1, "72082590", "Steel coils, re-strapped",
                                 Decimal(quantity), "kg", 10),),
    }
    values.update(changes)
    return Departure(**values)


def arrival_body(document: str = "COSU6300012345", origin: str | None = "CN",
                 **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"sequence": 1, "commodity_code": "72082500",
                            "description": "Hot-rolled steel coils", "quantity": "250000",
                            "quantity_unit": "kg", "packages": 20}
    if origin is not None:
        item["origin_country"] = origin
    body: dict[str, Any] = {"port": "MYPKG", "document_type": "N705",
                            "transport_document": document, "from_port": "CNSHA",
                            "carrier": "COSCO Shipping", "arrived_on": "2026-11-20",
                            "goods": [item]}
    body.update(changes)
    return body


def departure_body(document: str = "MSKU7788990011", quantity: str = "250000",
                   **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"port": "MYPKG", "arrival_document": "COSU6300012345",
                            "document_type": "N705", "transport_document": document,
                            "to_port": "VNSGN", "carrier": "Maersk",
                            "departed_on": "2026-11-23",
                            "goods": [{"sequence": 1, "commodity_code": "72082590",
                                       "description": "Steel coils, re-strapped",
                                       "quantity": quantity, "quantity_unit": "kg",
                                       "packages": 10}]}
    body.update(changes)
    return body
