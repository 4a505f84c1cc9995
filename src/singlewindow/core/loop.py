"""A daemon thread that calls `run_once()` until stopped: the shape of every room's worker
that claims its work from the database (the exchange's outbox and inbox, transit's scheduler)."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("singlewindow.core.loop")


class BackgroundLoop:
    """A daemon thread calling `run_once()` until stopped, idling when there is no work."""

    name = "background-loop"

    def __init__(self, idle_interval: float, wake: threading.Event | None = None) -> None:
        self.idle_interval = idle_interval
        self._stop = threading.Event()
        # Set by this process when there is new work: the loop wakes at once instead of at
        # the next poll (polling stays, for work written by other processes).
        self._wake = wake or threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.close()

    def close(self) -> None:
        pass

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # keep the worker alive; the database may be briefly away
                log.exception("%s failed; retrying", self.name)
                done = 0
            if not done and not self._stop.is_set():
                self._wake.wait(self.idle_interval)
                self._wake.clear()
