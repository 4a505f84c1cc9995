"""The transit declaration the room's tests lodge, LA → TH → MY → SG, and who lodges it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from singlewindow.access.model import Principal, Role
from singlewindow.transit.model import (
    Equipment,
    Itinerary,
    Office,
    TransitDeclaration,
    TransitGoodsItem,
)

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
HOLDER = Principal("trader", Role.TRADER, party_id="LATRADER01")
OFFICER = Principal("officer", Role.OFFICER, office="LAVTE01")
ROUTE = Itinerary(Office("LAVTE01", "LA"), (Office("THNKI01", "TH"), Office("MYBKH01", "MY")),
                  Office("SGWDL01", "SG"), ("LA", "TH", "MY", "SG"))


def declaration(**changes: object) -> TransitDeclaration:
    """Green coffee under guarantee LAGRN0001 (access code 4711), due three days after NOW."""
    item = TransitGoodsItem(1, "09011100", "Green coffee beans", 200, Decimal("10500"),
                            Decimal("10000"), Decimal("42000"))
    lodged = TransitDeclaration(
        lrn="LA-T-0001", holder="LATRADER01", guarantee="LAGRN0001", access_code="4711",
        itinerary=ROUTE, transport="LA 70-1234", items=(item,),
        time_limit=NOW + timedelta(days=3),
        equipment=(Equipment("MSKU9070323", ("LA-88213", "LA-88214")),))
    return replace(lodged, **changes)  # type: ignore[arg-type]
