"""Transit's scheduler: a worker that moves late movements on (overdue, enquiry, recovery).

It claims due movements from the database (`Transit.run_due`), so several workers in several
processes may share one PostgreSQL database without moving one movement twice."""

from __future__ import annotations

from singlewindow.core.loop import BackgroundLoop
from singlewindow.transit.services import Transit


class TransitScheduler(BackgroundLoop):
    name = "transit-scheduler"

    def __init__(self, transit: Transit, idle_interval: float = 1.0) -> None:
        super().__init__(idle_interval)
        self.transit = transit

    def run_once(self) -> int:
        return self.transit.run_due()
