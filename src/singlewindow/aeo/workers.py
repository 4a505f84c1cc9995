"""The AEO room's scheduler: sends the consented list to the partners of an arrangement whose
start date has come (`Aeo.send_due_lists`; an arrangement recorded in force sends at once)."""

from __future__ import annotations

from singlewindow.aeo.services import Aeo
from singlewindow.core.loop import BackgroundLoop


class AeoScheduler(BackgroundLoop):
    name = "aeo-scheduler"

    def __init__(self, aeo: Aeo, idle_interval: float = 60.0) -> None:
        super().__init__(idle_interval)
        self.aeo = aeo

    def run_once(self) -> int:
        self.aeo.send_due_lists()
        return 0  # nothing more to do until the next look
