"""Authorised economic operators in the traffic, played through the nodes' AEO APIs: at the
start each node's sample trader applies (with its consent to share), the node's sample officer
validates it (the four criteria found met, one site visited) and grants it, and every running
node records the same mutual recognition arrangement, naming all of them; midway through the
trades an officer of one home node suspends its AEO, and the run measures how long until
every partner refuses it the benefit.

The arrangement is recorded at every node before any grant: a list or change reaching a node
that has not recorded the arrangement yet is refused (an ebMS error, not retried; a node that
records it later asks each partner for its list), so each grant then reaches every partner as
its AEO.Change (the lists sent when the arrangement is recorded are empty on a fresh
network). A kept network keeps its AEOs and its arrangement: a suspended one is reinstated at
the start.

The trades name the sample traders (`Desk.party`): every export has its origin's trader as
exporter, every import its destination's trader as importer and the origin's as exporter
(and seller), citing the export."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, cast

from singlewindow.devnet.traffic import Desk, Traffic, TrafficError

ARRANGEMENT = "ASEAN-AEO-MRA"
BENEFITS = ["lower_risk_score", "fewer_inspections", "priority", "simplified_transit"]
ROLES = ["importer", "exporter", "consignor", "carrier"]
CRITERIA = ["compliance_record", "records_management", "financial_solvency", "safety_security"]
POLL_SECONDS = 0.02  # between two looks at a partner's register of benefits
PROPAGATION_TIMEOUT = 60.0  # seconds: a partner still granting the benefit then is an error

AEO_COUNTS = ("aeo_declarations", "aeo_suspensions", "aeo_propagation_ms_max")


def aeos_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """Make the sample traders AEOs under one arrangement of all running nodes (now, before
    the trades), and the job that suspends one midway (`traffic.run_traffic`'s riders)."""
    programme = Programme(traffic.desks)
    programme.start()
    home = sorted(traffic.desks)[0]
    return [partial(programme.suspend_midway, traffic, home, midway(count))], AEO_COUNTS


def midway(trades: int) -> int:
    """How many trades end before the suspension: half of them, at least one."""
    return max(1, (trades + 1) // 2)


class Programme:
    def __init__(self, desks: dict[str, Desk]) -> None:
        self.desks = desks

    def start(self, timeout: float = 60) -> None:
        """The arrangement at every node, then each trader an AEO; until every partner
        recognises every one of them."""
        countries = sorted(self.desks)
        for desk in self.desks.values():
            self.record_arrangement(desk, countries)
        for desk in self.desks.values():
            self.authorise(desk)
        deadline = time.monotonic() + timeout
        for country, desk in self.desks.items():
            for operator in (d.account.trader_party for c, d in self.desks.items()
                             if c != country):
                while not recognised(desk, operator):
                    if time.monotonic() > deadline:
                        raise TrafficError(f"{country} does not recognise {operator} "
                                           f"under {ARRANGEMENT} after {timeout} s")
                    time.sleep(0.1)

    @staticmethod
    def record_arrangement(desk: Desk, countries: list[str]) -> None:
        held = cast(list[dict[str, Any]], desk.call("GET", "/aeo/arrangements", "admin"))
        if any(arrangement["id"] == ARRANGEMENT for arrangement in held):
            return  # a kept network's
        desk.call("POST", "/aeo/arrangements", "admin", json={
            "id": ARRANGEMENT, "name": "ASEAN AEO Mutual Recognition Arrangement",
            "partners": countries, "starts_on": date.today().isoformat(),
            "benefits": BENEFITS, "roles": ROLES})

    @staticmethod
    def authorise(desk: Desk) -> None:
        """The sample trader applies and is granted; a kept network's AEO is reinstated."""
        operator = desk.account.trader_party
        response = desk.client.get(f"/aeo/operators/{operator}", headers={
            "Authorization": f"Bearer {desk.tokens['officer']}"})
        if response.status_code == 200:
            held = response.json()
            if held["status"] == "suspended":
                desk.call("POST", f"/aeo/operators/{operator}/status", "officer", json={
                    "change": "reinstated", "reason": "traffic run: reinstated at the start"})
            if held["status"] != "revoked":
                if not held["consent"]:
                    desk.call("PUT", f"/aeo/operators/{operator}/consent", "trader",
                              json={"given": True})
                return
        elif response.status_code != 404:
            raise TrafficError(f"{desk.account.country} GET /aeo/operators/{operator} → "
                               f"{response.status_code}: {response.text}")
        country = desk.account.country
        site = f"{country} main warehouse"
        application = desk.call("POST", "/aeo/applications", "trader", json={
            "operator": operator, "name": f"{country} Export Trading Co., Ltd.",
            "address": f"1 Harbour Road, {country}", "types": ["importer_exporter"],
            "sites": [{"name": site, "address": f"2 Depot Street, {country}"}],
            "self_assessment": {c: f"Our {c.replace('_', ' ')}: documented and audited "
                                   f"yearly." for c in CRITERIA},
            "consent_to_share": True})
        number = application["number"]
        desk.call("POST", f"/aeo/applications/{number}/validation", "officer")
        for criterion in CRITERIA:
            desk.call("POST", f"/aeo/applications/{number}/findings", "officer", json={
                "criterion": criterion, "met": True, "note": "met: records examined"})
        desk.call("POST", f"/aeo/applications/{number}/visits", "officer", json={
            "site": site, "on": date.today().isoformat(), "note": "premises and seals seen"})
        desk.call("POST", f"/aeo/applications/{number}/decision", "officer", json={
            "grant": True, "reason": "every criterion met; site visited"})

    def suspend_midway(self, traffic: Traffic, home: str, after: int,
                       timeout: float = 600) -> None:
        """Once `after` trades have ended, an officer of `home` suspends its AEO; then each
        partner's register is asked until it refuses the benefit. Counts the suspension and
        the time from its answer to the last partner's refusal."""
        deadline = time.monotonic() + timeout
        while traffic.counts["trades_ended"] < after and time.monotonic() < deadline:
            time.sleep(0.1)
        desk = self.desks[home]
        operator = desk.account.trader_party
        desk.call("POST", f"/aeo/operators/{operator}/status", "officer", json={
            "change": "suspended", "reason": "traffic run: security breach at a site"})
        answered = time.monotonic()
        traffic.count("aeo_suspensions")
        waiting = {c: d for c, d in self.desks.items() if c != home}
        last = answered
        while waiting:
            for country in list(waiting):
                if not recognised(waiting[country], operator):
                    del waiting[country]
                    last = time.monotonic()
            if waiting and time.monotonic() - answered > PROPAGATION_TIMEOUT:
                raise TrafficError(f"{', '.join(sorted(waiting))} still recognise {operator} "
                                   f"{PROPAGATION_TIMEOUT:.0f} s after its suspension")
            if waiting:
                time.sleep(POLL_SECONDS)
        with traffic.lock:
            traffic.counts["aeo_propagation_ms_max"] = max(
                traffic.counts["aeo_propagation_ms_max"], round((last - answered) * 1000))


def recognised(desk: Desk, operator: str, role: str = "exporter") -> bool:
    """Whether `desk`'s register of benefits grants `operator` a benefit in `role` now."""
    answer = desk.call("GET", f"/aeo/recognition/{operator}", "officer",
                       params={"role": role})
    return bool(answer["recognised"])
