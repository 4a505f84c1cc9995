"""What a process keeps in memory, kept true with the database: a revision counter read
cheaply, at most every `CHECK_SECONDS`.

Several worker processes serve one database. Each keeps what it reads at every request in
memory (tokens, risk rules, the policy, tariff books); a change made through any of them bumps
a revision counter in the database in the change's own transaction. A `RevisionWatch` reads
that counter at most every `CHECK_SECONDS` and says when it moved, so a change made in another
process is seen within about half a second plus one read. In the process that made the
change, `RevisionWatch.changed` makes the watches of that database and topic look at once.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

# How often a process looks whether a revision moved: a change elsewhere is seen within this,
# plus the time of one read.
CHECK_SECONDS = 0.5


class RevisionWatch:
    """One revision of one database (`topic` names which: "risk", ("tariff", "VN"), …) as this
    process last read it."""

    _live: ClassVar[weakref.WeakSet[RevisionWatch]] = weakref.WeakSet()
    _live_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        database: object,
        topic: Hashable,
        read: Callable[[], object],
        interval: Callable[[], float] = lambda: CHECK_SECONDS,
    ) -> None:
        """`read` reads the stored revision (one small query); `interval` says how long a
        look stays good (a function, so that a setting can change it while running)."""
        self.database = database
        self.topic = topic
        self._read = read
        self._interval = interval
        self._lock = threading.Lock()
        self._revision: object = None
        self._checked = float("-inf")
        self._stale = True
        with RevisionWatch._live_lock:
            RevisionWatch._live.add(self)

    def moved(self) -> bool:
        """True once after the stored revision moved (and at the first look, and after
        `touch`); looks at the database at most every interval."""
        if not self._stale and time.monotonic() - self._checked < self._interval():
            return False
        # Read before taking the lock: the read takes the database's turn, and no lock of a
        # cache is held while waiting for it (core.db.Database.unit_of_work). Two threads
        # may both read; both then record what they found.
        stale = self._stale
        revision = self._read()
        with self._lock:
            stale = stale or self._stale
            self._checked = time.monotonic()
            self._stale = False
            if revision != self._revision:
                self._revision = revision
                return True
            return stale

    def touch(self) -> None:
        """Look again at the next `moved` and say it moved."""
        self._stale = True

    @classmethod
    def changed(cls, database: object, topic: Hashable) -> None:
        """This process changed `topic` of `database`: its watches look again at once."""
        with cls._live_lock:
            watches = list(cls._live)
        for watch in watches:
            if watch.database is database and watch.topic == topic:
                watch.touch()


def bump_revision(session: Session, counter: type[Any]) -> None:
    """Count one more change on a one-row counter table (`id` 1, `revision`), in the caller's
    transaction: an upsert, since the row may be missing and two first bumps at once must both
    count."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, counter.__table__)
    statement = insert(table).values(id=1, revision=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.id], set_={"revision": table.c.revision + 1}
        )
    )


def stored_revision(session: Session, counter: type[Any]) -> int:
    """The counter's value (0 before its first change)."""
    table = cast(Table, counter.__table__)
    return session.scalar(select(table.c.revision).where(table.c.id == 1)) or 0
