"""On SQLite a unit of work holds the process's turn at the database; a cache refreshing
itself must not hold its own lock while it waits for that turn. A thread inside a unit of work
that asks a stale cache, while another thread asks it from outside, once deadlocked (a transit
lodgement against a declaration's): both must finish."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from singlewindow.core.db import Database
from singlewindow.reference.services import ReferenceData, ensure_sample_reference
from singlewindow.risk.services import Selectivity
from singlewindow.tariff.services import TariffBooks, ensure_sample_schedule


def _both_finish(database: Database, ask: Callable[[], object],
                 make_stale: Callable[[], None]) -> None:
    inside = threading.Event()
    errors: list[BaseException] = []

    def in_a_unit_of_work() -> None:
        try:
            with database.unit_of_work():
                inside.set()
                time.sleep(0.3)  # the other thread is now asking, and waits for the turn
                make_stale()
                ask()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def from_outside() -> None:
        try:
            inside.wait(5)
            make_stale()
            ask()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=in_a_unit_of_work, daemon=True),
               threading.Thread(target=from_outside, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
    assert errors == []


def test_tariff_books(sqlite_database: Database) -> None:
    ensure_sample_schedule(sqlite_database, "LA")
    books = TariffBooks(sqlite_database)
    books.book("LA")
    _both_finish(sqlite_database, lambda: books.book("LA"),
                 lambda: books._watches["LA"].touch())


def test_selectivity(sqlite_database: Database) -> None:
    selectivity = Selectivity(sqlite_database)
    selectivity.state()
    _both_finish(sqlite_database, selectivity.state, selectivity._watch.touch)


def test_the_office_register(sqlite_database: Database) -> None:
    ensure_sample_reference(sqlite_database, "LA")
    register = ReferenceData(sqlite_database, "LA")
    register.entry("LAVTE01")

    def stale() -> None:
        register._checked_at = float("-inf")

    _both_finish(sqlite_database, lambda: register.entry("LAVTE01"), stale)
