"""Transit trucks through a running network, played through the nodes' APIs: the holder
lodges at Vientiane (LAVTE01) for Singapore (SGWDL01) through Thailand (THNKI01) and Malaysia
(MYBKH01); the border officers record each crossing, the arrival and the control results as
the anticipated records reach them; the office of departure discharges. Some trucks arrive
with a broken seal (a discrepancy the officer of departure solves); the first never arrives,
with a time limit short enough that the run sees it become overdue, go to enquiry and
then to recovery of the duties."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, cast

from singlewindow.devnet.traffic import GOODS, Desk, Traffic, TrafficError

ROUTE = ("LA", "TH", "MY", "SG")
# The traffic's own rough rate for the sample values, USD to the kip of the guarantee.
KIP_PER_USD = Decimal(21_500)
LATE_TRUCK_LIMIT = timedelta(seconds=15)
BROKEN_SEAL_EVERY = 4  # trucks 1, 5, 9, ... arrive with a seal broken


TRANSIT_COUNTS = ("transit_released", "transit_crossings", "transit_arrived",
                  "transit_discharged", "transit_discrepancies", "transit_overdue",
                  "transit_recovered")


def trucks_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """The transit trucks of a run of `count` trades (when Laos, Thailand, Malaysia and
    Singapore all run), and what they count (`traffic.run_traffic`'s riders)."""
    if not runs_here(set(traffic.desks)):
        return [], ()
    fleet = Trucks(traffic.desks, traffic.run, traffic.rng.randrange(10**6), traffic.count)
    return [partial(fleet.truck, index) for index in range(truck_count(count))], TRANSIT_COUNTS


def runs_here(countries: set[str]) -> bool:
    return set(ROUTE) <= countries


def truck_count(trades: int) -> int:
    """The late one, one with a broken seal and one clean, and one more per ten trades."""
    return 3 + trades // 10


class Trucks:
    def __init__(self, desks: dict[str, Desk], run: str, seed: int,
                 count: Callable[[str], None]) -> None:
        self.desks = desks
        self.run = run
        self.rng = random.Random(seed)
        self.count = count

    def truck(self, index: int) -> None:
        late = index == 0
        broken = index % BROKEN_SEAL_EVERY == 1
        departure = self.desks["LA"]
        movement = departure.call("POST", "/transit/movements", "trader",
                                  json=self._declaration(index, late))
        number = movement["mrn"]
        if movement["status"] != "released":
            raise TrafficError(f"transit {number} ended {movement['status']}, not released")
        self.count("transit_released")
        for country in ROUTE[1:-1]:
            desk = self.desks[country]
            self._wait_expected(desk, number)
            desk.call("POST", f"/transit/movements/{number}/crossing", "border",
                      json={"office": desk.account.border_office})
            self.count("transit_crossings")
            if late:  # it never reaches its destination
                self._wait_status(departure, number, ("enquiry", "recovery"), timeout=90)
                self.count("transit_overdue")
                self._wait_status(departure, number, ("recovery",), timeout=90)
                self.count("transit_recovered")
                return
        destination = self.desks["SG"]
        self._wait_expected(destination, number)
        office = destination.account.border_office
        destination.call("POST", f"/transit/movements/{number}/arrival", "border",
                         json={"office": office})
        self.count("transit_arrived")
        seals = movement_seals(index)
        destination.call("POST", f"/transit/movements/{number}/control", "border", json={
            "seals_intact": not broken,
            "discrepancies": [f"seal {seals[0]} found broken; load complete"] if broken else [],
            "remarks": "unloaded at Woodlands"})
        status = self._wait_status(departure, number, ("written_off", "discrepancy"))
        if status == "discrepancy":
            self.count("transit_discrepancies")
            departure.call("POST", f"/transit/movements/{number}/solution", "officer", json={
                "recovered": False,
                "note": "goods found complete; the carrier explained the seal (report filed)"})
        self.count("transit_discharged")

    def _declaration(self, index: int, late: bool) -> dict[str, Any]:
        account = self.desks["LA"].account
        items = []
        for code, description, unit, price, kg in self.rng.sample(GOODS, self.rng.randint(1, 2)):
            if unit == "kg":  # in 60 kg bags
                net = Decimal(self.rng.randrange(2000, 18000, 60))
                packages, quantity = int(net // 60), net
            else:  # one per package
                packages = self.rng.randrange(20, 400, 10)
                quantity, net = Decimal(packages), Decimal(packages) * Decimal(kg)
            value = quantity * Decimal(price) * KIP_PER_USD
            items.append({"commodity_code": code, "description": description,
                          "packages": packages, "net_mass": str(net),
                          "gross_mass": str(net * Decimal("1.04")),
                          "value": str(value.quantize(Decimal(1)))})
        limit = LATE_TRUCK_LIMIT if late else timedelta(days=2)
        return {
            "lrn": f"T{self.run}-{index:04d}", "holder": account.trader_party,
            "guarantee": account.transit_guarantee, "access_code": account.access_code,
            "departure_office": self.desks["LA"].account.border_office,
            "transit_offices": [self.desks[c].account.border_office for c in ROUTE[1:-1]],
            "destination_office": self.desks["SG"].account.border_office,
            "routing": list(ROUTE), "transport": f"LA {70 + index % 20}-{1000 + index}",
            "equipment": [{"number": f"LAOU{index:06d}7", "seals": movement_seals(index)}],
            "items": items,
            "time_limit": (datetime.now(UTC) + limit).isoformat(),
        }

    def _wait_expected(self, desk: Desk, number: str, timeout: float = 60) -> None:
        """Until the anticipated record (IE050 / IE001) has reached the office's node."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            expected = cast(list[dict[str, Any]],
                            desk.call("GET", "/transit/expected", "border"))
            if any(m["mrn"] == number for m in expected):
                return
            time.sleep(0.2)
        raise TrafficError(f"transit {number} not expected at {desk.account.country} "
                           f"in {timeout} s")

    def _wait_status(self, desk: Desk, number: str, wanted: tuple[str, ...],
                     timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        status = ""
        while time.monotonic() < deadline:
            status = desk.call("GET", f"/transit/movements/{number}", "trader")["status"]
            if status in wanted:
                return status
            time.sleep(0.25)
        raise TrafficError(f"transit {number} still {status} after {timeout} s, not "
                           f"{' or '.join(wanted)}")


def movement_seals(index: int) -> list[str]:
    return [f"LA-{88000 + 2 * index}", f"LA-{88001 + 2 * index}"]
